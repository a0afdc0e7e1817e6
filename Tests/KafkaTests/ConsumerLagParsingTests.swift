@testable import Kafka
import Testing

@Suite("Parsing consumer lag from librdkafka statistics")
struct ConsumerLagParsingTests {
    @Test("lag is read per real partition and unknown lag or the internal partition is skipped")
    func parsesLagPerPartition() throws {
        let json = """
            {"name":"c#consumer-1","topics":{"orders":{"topic":"orders","partitions":{
              "0":{"partition":0,"consumer_lag":12},
              "1":{"partition":1,"consumer_lag":-1},
              "-1":{"partition":-1,"consumer_lag":-1}}}}}
            """
        let lag = try #require(ConsumerLagStatistics.parse(json: json))
        #expect(lag == [KafkaTopicPartition(topic: "orders", partition: 0): 12])
    }
}
