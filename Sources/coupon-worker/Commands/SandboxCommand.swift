import ArgumentParser
import CouponWorkerDevTools

/// Both provider sandboxes, with fresh keys for a worker and an optional admin API
/// (`SandboxServers`).
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the WeChat Pay and zvcms sandboxes: real HTTP, real signatures, fault injection.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "WeChat Pay sandbox port.") var wechatPort = 9101
    @Option(help: "zvcms sandbox port.") var zvcmsPort = 9102
    @Option(help: "Where to write the key files a worker needs (mode 0600).") var keysDir = "sandbox-keys"
    @Flag(help: "WeChat issues anew for a repeated out_request_no (only the worker's guard prevents doubles).")
    var forgetDuplicates = false
    @Option(help: "Serve the fault and issuance admin API on 127.0.0.1 at this port (0: any free port).")
    var adminPort: Int?

    func validate() throws {
        if let adminPort, !(0...65535).contains(adminPort) {
            throw ValidationError("--admin-port must be 0...65535")
        }
    }

    func run() async throws {
        try await SandboxServers.run(
            host: host, wechatPort: wechatPort, zvcmsPort: zvcmsPort, keysDir: keysDir,
            forgetDuplicates: forgetDuplicates, adminPort: adminPort)
    }
}
