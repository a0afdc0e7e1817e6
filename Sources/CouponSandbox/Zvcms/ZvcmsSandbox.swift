import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A faithful local zvcms (Qmai open platform): the API 2.0 and 3.0 endpoints the worker
/// uses, over real HTTP on loopback.
///
/// It checks tokens and timestamps like production (110004, 110007), rejects non-object
/// params (100002), serves usable-coupon, customer-coupon, coupon-status and issue calls
/// from its state, and, like production, has no idempotency for issues: a re-sent issue
/// issues again, which `issuanceCount(outRequestNo:)` makes visible. Faults are injected
/// through `faults`, with the same classes as every sandbox.
public final class ZvcmsSandbox: Sendable {
    /// Faults the next requests suffer, and added latency.
    public let faults = SandboxFaultInjector()
    public let configuration: Configuration
    private let store: ZvcmsSandboxStore
    private let held = ZvcmsHeldAnswers()
    private let server = Mutex<Task<Void, any Error>?>(nil)
    private let logger: Logger

    /// Errors starting the sandbox.
    public enum StartError: Error, Sendable {
        /// `start` was called on a sandbox that is already running.
        case alreadyStarted
        /// The server stopped before it reported the port it listens on.
        case didNotBind
    }

    public init(configuration: Configuration, logger: Logger = Logger(label: "zvcms-sandbox")) {
        self.configuration = configuration
        self.store = ZvcmsSandboxStore(configuration: configuration)
        var logger = logger
        logger.logLevel = max(logger.logLevel, .warning)
        self.logger = logger
    }

    /// Starts listening and returns the bound port (pass 0 for any free port).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let responder = ZvcmsSandboxResponder(configuration: configuration, store: store, faults: faults, held: held)
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? port)
                portSink.finish()
            },
            logger: logger)
        let task = Task {
            defer { portSink.finish() }
            try await app.run()
        }
        let installed = server.withLock { slot -> Bool in
            guard slot == nil else { return false }
            slot = task
            return true
        }
        guard installed else {
            task.cancel()
            throw StartError.alreadyStarted
        }
        for await bound in ports { return bound }
        // The server ended before binding: surface its error.
        server.withLock { $0 = nil }
        try await task.value
        throw StartError.didNotBind
    }

    /// Stops the server; held answers are released first so it can drain.
    public func stop() async {
        held.releaseAll()
        guard let task = server.withLock({ slot in defer { slot = nil }; return slot }) else { return }
        task.cancel()
        _ = try? await task.value
    }

    /// How many issue requests with `bizId` = `outRequestNo` the sandbox accepted (each one
    /// issued coupons).
    public func issuanceCount(outRequestNo: String) -> Int {
        store.issuanceCount(bizID: outRequestNo)
    }

    /// The coupons `customerID` holds now.
    public func coupons(ofCustomer customerID: String) -> [Configuration.Coupon] {
        store.coupons(ofCustomer: customerID)
    }
}
