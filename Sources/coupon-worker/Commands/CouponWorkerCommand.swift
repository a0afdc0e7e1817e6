import ArgumentParser

/// `coupon-worker`: consume coupon commands from Kafka and execute them exactly once at
/// WeChat Pay and zvcms.
@main
struct CouponWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coupon-worker",
        abstract: "Issues and queries coupons at WeChat Pay and zvcms, exactly once per out_request_no.",
        subcommands: [
            RunCommand.self, DemoCommand.self, SandboxCommand.self, DevKafkaCommand.self, ReplayDLQCommand.self,
            BenchCommand.self,
        ]
    )
}
