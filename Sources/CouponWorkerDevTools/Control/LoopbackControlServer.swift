import Hummingbird
import Logging
import ServiceLifecycle

/// An HTTP control API on 127.0.0.1, served for as long as a body of work runs: what
/// `dev-kafka --control-port` and `sandbox --admin-port` use to let an out-of-process test
/// break things on purpose.
///
/// It only ever binds to loopback, whatever address the product itself listens on: these
/// endpoints take brokers down and make providers fail, so reaching them must require being
/// on the machine.
struct LoopbackControlServer {
    /// Why the server could not start.
    enum StartError: Error, CustomStringConvertible {
        /// The server stopped before it was listening on `port` (0 means any free port).
        case didNotBind(port: Int)

        var description: String {
            switch self {
            case .didNotBind(let port): "the control server stopped before it listened on 127.0.0.1:\(port)"
            }
        }
    }

    let router: Router<BasicRequestContext>
    /// The port to listen on; 0 picks a free one (the bound one is passed to the body).
    let port: Int
    let logger: Logger

    /// Starts listening, runs `body` with the server's base URL (`http://127.0.0.1:P`), then
    /// shuts the server down gracefully (requests in progress finish) and returns `body`'s result.
    func run<Value>(whileListening body: (_ baseURL: String) async throws -> Value) async throws -> Value {
        let (boundPorts, boundSink) = AsyncStream<Int>.makeStream()
        let requestedPort = port
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "coupon-worker-control"),
            onServerRunning: { channel in
                boundSink.yield(channel.localAddress?.port ?? requestedPort)
                boundSink.finish()
            },
            logger: logger)
        let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { boundSink.finish() }
                try await services.run()
            }
            var ports = boundPorts.makeAsyncIterator()
            guard let boundPort = await ports.next() else {
                // The server ended before listening: its own error (e.g. port in use) says why.
                try await tasks.waitForAll()
                throw StartError.didNotBind(port: requestedPort)
            }
            let result: Value
            do {
                result = try await body("http://127.0.0.1:\(boundPort)")
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
