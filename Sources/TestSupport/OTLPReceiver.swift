import Hummingbird
import Logging
import Synchronization

/// A minimal OTLP/HTTP trace receiver on loopback: accepts `POST /v1/traces`, keeps each
/// request's content type and protobuf body, and answers an empty `ExportTraceServiceResponse`.
/// Tests look for a trace's id bytes in the bodies rather than decoding them.
public final class OTLPReceiver: Sendable {
    public struct Export: Sendable {
        public var contentType: String?
        public var body: [UInt8]
    }

    private final class Received: Sendable {
        let exports = Mutex<[Export]>([])
    }

    private let received: Received
    private let task = Mutex<Task<Void, any Error>?>(nil)
    /// The bound port on 127.0.0.1.
    public let port: Int

    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for this receiver.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// What was exported so far.
    public var exports: [Export] { received.exports.withLock { $0 } }

    /// Starts listening on a free loopback port.
    public init(logger: Logger = Logger(label: "otlp-receiver")) async throws {
        let received = Received()
        self.received = received
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            let export = Export(contentType: request.headers[.contentType], body: Array(body.readableBytesView))
            received.exports.withLock { $0.append(export) }
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
        }
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: serverLogger)
        let running = Task {
            defer { portSink.finish() }
            try await app.run()
        }
        var bound: Int?
        for await port in ports { bound = port }
        guard let bound, bound > 0 else {
            running.cancel()
            try await running.value
            throw ReceiverError.didNotBind
        }
        self.port = bound
        task.withLock { $0 = running }
    }

    enum ReceiverError: Error { case didNotBind }

    /// Stops serving.
    public func stop() async {
        guard let running = task.withLock({ slot in defer { slot = nil }; return slot }) else { return }
        running.cancel()
        _ = await running.result
    }

    /// The 16 bytes of a trace id written in hex (as in `traceparent`).
    public static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            if let byte = UInt8(hex[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        return bytes
    }
}
