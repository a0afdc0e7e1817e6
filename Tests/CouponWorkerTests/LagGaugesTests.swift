import Kafka
import Testing

@testable import CouponWorker

@Suite("Lag gauges of owned partitions only")
struct LagGaugesTests {
    static let p0 = KafkaTopicPartition(topic: "coupon.commands.issue", partition: 0)
    static let p1 = KafkaTopicPartition(topic: "coupon.commands.issue", partition: 1)
    static let q0 = KafkaTopicPartition(topic: "coupon.commands.query", partition: 0)

    @Test("a partition that moved away stops being shown and its gauge is removed, although the statistics still report it")
    func movedPartitionIsRemoved() {
        var gauges = LagGauges()
        let first = gauges.update(lag: [Self.p0: 5, Self.p1: 7, Self.q0: 0], owned: [Self.p0, Self.p1, Self.q0])
        #expect(first.show == [Self.p0: 5, Self.p1: 7, Self.q0: 0])
        #expect(first.remove.isEmpty)

        // A rebalance moved p1 elsewhere; librdkafka's statistics still carry its old lag.
        let second = gauges.update(lag: [Self.p0: 3, Self.p1: 7, Self.q0: 1], owned: [Self.p0, Self.q0])
        #expect(second.show == [Self.p0: 3, Self.q0: 1])
        #expect(second.remove == [Self.p1])

        // Removed once; an owned partition without a reading (lag unknown) goes too, and comes back.
        let third = gauges.update(lag: [Self.p0: 2, Self.p1: 7], owned: [Self.p0, Self.q0])
        #expect(third.show == [Self.p0: 2])
        #expect(third.remove == [Self.q0])
        let fourth = gauges.update(lag: [Self.p0: 2, Self.q0: 4], owned: [Self.p0, Self.q0])
        #expect(fourth.show == [Self.p0: 2, Self.q0: 4])
        #expect(fourth.remove.isEmpty)
    }
}
