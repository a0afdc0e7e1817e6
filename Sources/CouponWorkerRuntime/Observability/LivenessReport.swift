import CouponWorker

/// What `/healthz` answers for a worker's status: `ok`, or what keeps the instance from
/// making progress.
///
/// Not live when a command is stuck or a partition is stalled: the orchestrator then restarts
/// the instance and the commands' claims protect them (see `CouponWorker.Configuration.stuckCommandLimit`).
/// The body names partitions and offsets only — no `out_request_no`, openid or coupon code —
/// because the port is open to probes and anyone who can reach the pod.
struct LivenessReport: Equatable {
    var isLive: Bool
    /// Plain text, one fact per line.
    var body: String

    init(_ status: CouponWorker.Status) {
        isLive = status.isLive
        guard !isLive else {
            body = "ok\n"
            return
        }
        var lines: [String] = []
        if let age = status.oldestCommandAge, age >= status.stuckCommandLimit {
            lines.append("stuck: a command has run for \(Int(age / .seconds(1))) s")
        }
        if !status.stalledPartitions.isEmpty {
            lines.append("stalled partitions:")
            lines += status.stalledPartitions
        }
        body = lines.map { $0 + "\n" }.joined()
    }
}
