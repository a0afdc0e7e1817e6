/// How to build a `KafkaConsumer`: typed common settings plus any librdkafka property.
///
/// Offsets follow the at-least-once recipe: `enable.auto.offset.store=false` (the
/// application stores an offset with `storeOffset` only after processing), and
/// `enable.auto.commit=true` (librdkafka commits stored offsets in the background every
/// `auto.commit.interval.ms`); `commit()`, revokes and `close()` also commit synchronously.
public struct KafkaConsumerConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `group.id`: the consumer group.
    public var groupID: String
    /// `client.id`, shown in broker logs and group descriptions.
    public var clientID: String = "coupon-worker"
    /// `partition.assignment.strategy`; every member of a group must use the same kind.
    public var assignmentStrategy: KafkaAssignmentStrategy = .eager
    /// `auto.offset.reset`: where to start without a committed offset (`earliest`, `latest`).
    public var autoOffsetReset: String = "earliest"
    /// `session.timeout.ms`: how long the group waits for a silent member before it
    /// rebalances. 10 s (librdkafka's default is 45 s) detects a dead worker faster and is
    /// accepted by the mock cluster and by brokers' default
    /// `group.min.session.timeout.ms` (6 s).
    public var sessionTimeoutMilliseconds: Int = 10_000
    /// `group.instance.id`: a stable identity for static membership (KIP-345). A member that
    /// restarts with the same id within the session timeout gets its partitions back without a
    /// rebalance; it sends no LeaveGroup on close, so its partitions stay idle until the session
    /// times out when it does not come back. Two live members with one id fence each other
    /// (a fatal error). Nil: a dynamic member.
    public var groupInstanceID: String?
    /// `auto.commit.interval.ms`: how often stored offsets are committed in the background.
    /// 1 s (librdkafka's default is 5 s): a restarted member redoes at most about a second of
    /// work, without a commit per record.
    public var commitIntervalMilliseconds: Int = 1_000
    /// `statistics.interval.ms`: greater than 0 enables statistics, the source of
    /// `KafkaConsumer.consumerLag()`.
    public var statisticsIntervalMilliseconds: Int = 0
    /// Records read from librdkafka and not yet taken by the application at which the poll
    /// thread stops reading (it goes on at half; see `IntakeWindow`). Keeping the rest in
    /// librdkafka's own prefetch queue, rather than pausing, keeps a saturated consumer
    /// steady. Nil: no limit (pause partitions to bound memory).
    public var intakeLimit: Int?
    /// How long the poll thread waits for room at the intake limit before it polls anyway:
    /// rebalances, errors and statistics are served only by polling (each such poll may take
    /// one record over the limit).
    public var intakeWaitMilliseconds: Int = 100
    /// `queued.max.messages.kbytes`: librdkafka's prefetch queue, per consumer. 16 MB
    /// (librdkafka's default is 64 MB) bounds the memory a backlog can take.
    public var prefetchKilobytes: Int = 16_384
    /// Any librdkafka property (CONFIGURATION.md), applied last so it overrides the typed
    /// settings, except the ones in `reservedProperties`. An unknown property, an invalid
    /// value or a reserved one fails `KafkaConsumer.init`.
    public var properties: [String: String] = [:]

    /// Properties `properties` may not set, and why: the at-least-once recipe stores offsets
    /// only after processing (`enable.auto.offset.store=true` would commit records on being
    /// read: a crash loses them), and the rebalance handling follows `assignmentStrategy`
    /// (eager and cooperative assign differently and must never mix in one group).
    public static let reservedProperties: [String: String] = [
        "enable.auto.offset.store": "the consumer stores offsets itself, only after a record's result was delivered",
        "partition.assignment.strategy": "set by the typed assignment strategy (eager or cooperative), which the rebalance handling follows",
    ]

    /// The first property of `properties` that is reserved, as a configuration error.
    var reservedPropertyError: KafkaError? {
        properties.keys.sorted().lazy.compactMap { key in
            Self.reservedProperties[key].map { KafkaError.configuration(property: key, message: "may not be overridden: \($0)") }
        }.first
    }

    public init(bootstrapServers: String, groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// The librdkafka properties, in the order they are applied.
    var librdkafkaProperties: [(key: String, value: String)] {
        var result: [(key: String, value: String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("client.id", clientID),
            ("partition.assignment.strategy", assignmentStrategy.librdkafkaValue),
            ("auto.offset.reset", autoOffsetReset),
            ("session.timeout.ms", String(sessionTimeoutMilliseconds)),
            ("statistics.interval.ms", String(statisticsIntervalMilliseconds)),
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", String(commitIntervalMilliseconds)),
            ("enable.partition.eof", "false"),
            ("socket.nagle.disable", "true"),
            ("queued.max.messages.kbytes", String(prefetchKilobytes)),
        ]
        if let groupInstanceID { result.append(("group.instance.id", groupInstanceID)) }
        result.append(contentsOf: properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return result
    }
}
