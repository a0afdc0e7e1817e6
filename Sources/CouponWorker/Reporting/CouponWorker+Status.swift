extension CouponWorker {
    /// A snapshot for `/healthz`, `/readyz` and operators.
    public struct Status: Sendable, Hashable {
        public var assignedPartitions: Int
        public var pausedPartitions: Int
        public var inFlight: Int
        public var storeError: String?
        /// How long the longest-running command has run.
        public var oldestCommandAge: Duration?
        public var stuckCommandLimit: Duration
        /// Partitions that cannot make progress, one line each (`PartitionStall.description`,
        /// e.g. "coupon.commands.issue[3]: command at offset 42 abandoned"): a command abandoned
        /// outside a revoke, or one running past `stuckCommandLimit`. Any makes the instance not live.
        public var stalledPartitions: [String]

        public init(
            assignedPartitions: Int, pausedPartitions: Int, inFlight: Int, storeError: String?,
            oldestCommandAge: Duration?, stuckCommandLimit: Duration, stalledPartitions: [String] = []
        ) {
            self.assignedPartitions = assignedPartitions
            self.pausedPartitions = pausedPartitions
            self.inFlight = inFlight
            self.storeError = storeError
            self.oldestCommandAge = oldestCommandAge
            self.stuckCommandLimit = stuckCommandLimit
            self.stalledPartitions = stalledPartitions
        }

        /// Ready for work: partitions assigned and the store answering.
        public var isReady: Bool { assignedPartitions > 0 && storeError == nil }
        /// Not stuck: no command has outlived `stuckCommandLimit`, and no partition is stalled.
        public var isLive: Bool { (oldestCommandAge ?? .zero) < stuckCommandLimit && stalledPartitions.isEmpty }
    }
}
