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
    private let server = SandboxServer()
    private let logger: Logger


    public init(configuration: Configuration, logger: Logger = Logger(label: "zvcms-sandbox")) {
        self.configuration = configuration
        self.store = ZvcmsSandboxStore(configuration: configuration)
        var logger = logger
        logger.logLevel = max(logger.logLevel, .warning)
        self.logger = logger
    }

    /// Starts listening and returns the bound port (pass 0 for any free port).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let responder = ZvcmsSandboxResponder(configuration: configuration, store: store, faults: faults, held: server.held)
        return try await server.start(responder: responder, host: host, port: port, logger: logger)
    }

    /// Stops the server; held answers are released first so it can drain.
    public func stop() async {
        await server.stop()
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
