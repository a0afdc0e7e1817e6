import Hummingbird
import Logging
import Synchronization

/// The HTTP server under a sandbox: starts on a host and port (0 picks a free one), reports
/// the bound port, and stops by letting held answers go and cancelling the server.
final class SandboxServer: Sendable {
    /// Why `start` did not return a port.
    enum StartError: Error, Sendable, Hashable {
        /// `start` was called on a running sandbox.
        case alreadyStarted
        /// The server stopped before it was listening.
        case didNotBind
    }

    /// Answers held back by `.timeoutAfterProcessing`, released at `stop`.
    let held = HeldAnswers()
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Serves `responder` and returns the bound port.
    func start<Responder: HTTPResponder>(
        responder: Responder, host: String, port: Int, logger: Logger
    ) async throws -> Int where Responder.Context == SandboxRequestContext {
        // `stop()` cancels the server, which Hummingbird reports as errors on open
        // connections; only its critical messages are worth a log.
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .critical)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? port)
                portSink.finish()
            },
            logger: serverLogger)
        let running = Task {
            defer { portSink.finish() }
            try await app.run()
        }
        let installed = task.withLock { slot -> Bool in
            guard slot == nil else { return false }
            slot = running
            return true
        }
        guard installed else {
            running.cancel()
            throw StartError.alreadyStarted
        }
        for await bound in ports { return bound }
        // The server ended before binding: surface its error.
        task.withLock { $0 = nil }
        try await running.value
        throw StartError.didNotBind
    }

    /// Lets held answers go, then stops serving.
    func stop() async {
        held.releaseAll()
        guard let running = task.withLock({ slot in defer { slot = nil }; return slot }) else { return }
        running.cancel()
        _ = await running.result
    }
}
