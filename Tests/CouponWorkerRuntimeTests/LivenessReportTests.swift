import CouponWorker
import Testing

@testable import CouponWorkerRuntime

@Suite("/healthz's report")
struct LivenessReportTests {
    @Test("a live worker answers ok")
    func liveIsOK() {
        let report = LivenessReport(.init(
            assignedPartitions: 3, pausedPartitions: 0, inFlight: 2, storeError: nil, oldestCommandAge: .seconds(4),
            stuckCommandLimit: .seconds(300)))
        #expect(report.isLive)
        #expect(report.body == "ok\n")
    }

    @Test("stalled partitions are listed one per line under a heading, after the stuck command")
    func stalledPartitionsAreListed() {
        let stalls = ["coupon.commands.issue[3]: command at offset 42 abandoned",
                      "coupon.commands.query[0]: command at offset 7 running for 301 s"]
        let report = LivenessReport(.init(
            assignedPartitions: 3, pausedPartitions: 0, inFlight: 1, storeError: nil, oldestCommandAge: .seconds(301),
            stuckCommandLimit: .seconds(300), stalledPartitions: stalls))
        #expect(!report.isLive)
        #expect(report.body == """
            stuck: a command has run for 301 s
            stalled partitions:
            coupon.commands.issue[3]: command at offset 42 abandoned
            coupon.commands.query[0]: command at offset 7 running for 301 s

            """)
    }

    @Test("a stall alone (no command past the limit) is listed without a stuck line")
    func stallAlone() {
        let report = LivenessReport(.init(
            assignedPartitions: 1, pausedPartitions: 0, inFlight: 0, storeError: nil, oldestCommandAge: nil,
            stuckCommandLimit: .seconds(300), stalledPartitions: ["coupon.commands.issue[1]: command at offset 9 abandoned"]))
        #expect(!report.isLive)
        #expect(report.body == "stalled partitions:\ncoupon.commands.issue[1]: command at offset 9 abandoned\n")
    }
}
