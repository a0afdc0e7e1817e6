// The `Kafka` module: coupon-worker's Swift API over librdkafka 2.0.2 (Debian bookworm).
//
// It is the only module that touches `CRdKafka`. Public types are small values named for
// Kafka concepts (`KafkaConsumerMessage`, `KafkaHeader`, `KafkaDeliveryReport`,
// `KafkaError`) plus four clients: `KafkaProducer`, `KafkaConsumer`, `KafkaAdmin` and
// `KafkaMockCluster`. Every C call lives in the internal `RDKafka/` folder.
//
// # Threading model
//
// librdkafka runs its own background threads (one per broker, a main thread, a group
// coordinator). It hands results back to the application only when the application *polls*
// a queue, and it invokes our C callbacks on the polling thread. We never poll by sleeping:
//
// - **Producer.** One dedicated OS thread (`kafka-producer-poll`) blocks in
//   `rd_kafka_poll(rk, 100)`. Delivery reports (`dr_msg_cb`) run on that thread and resume
//   the `send` continuation of their message exactly once (messages are found through a
//   per-message ticket in the message opaque). Headers go to `rd_kafka_produceva` as an
//   application-owned list (`VTYPE_HEADERS`), never per header (`VTYPE_HEADER`, the path
//   where 2.0.2 frees headers twice when the partition does not exist). `shutdown(timeout:)` asks the same thread to
//   flush, purge what is left (those sends fail with `KafkaError.delivery(code: _PURGE_*)`),
//   destroy the handle, and only then return. `send` itself never blocks: it enqueues with
//   `rd_kafka_produceva` and suspends until the report arrives.
// - **Consumer.** `rd_kafka_poll_set_consumer` routes the main queue into the consumer
//   queue, so a single dedicated thread (`kafka-consumer-poll`) blocking in
//   `rd_kafka_consumer_poll(rk, 100)` serves messages, rebalances, statistics and offset
//   commit results. Messages are yielded into an unbounded stream
//   (`KafkaConsumer.messages`, which ends after `close()` or throws after a fatal
//   consumer error); nothing is ever dropped. Memory is bounded by librdkafka's
//   prefetch (`queued.max.messages.kbytes`, `fetch.max.bytes`) *plus whatever the
//   application leaves unread*: an application that cannot keep up must `pause` the
//   partitions it is behind on and `resume` them once drained.
// - **Rebalances** run on the consumer poll thread *before* librdkafka completes them: the
//   thread calls the async `KafkaRebalanceListener` and blocks until it returns (blocking
//   our own thread is fine; it never blocks Swift's cooperative pool), then, on a revoke,
//   commits the stored offsets synchronously and only then unassigns. Eager protocols use
//   `rd_kafka_assign`; cooperative-sticky uses `rd_kafka_incremental_(un)assign`.
//   A listener must not wait for messages from `messages` (the thread that feeds it is the
//   one waiting for the listener). Because the same thread stamps every record with its
//   partition's `assignmentGeneration`, a record still buffered from before a revoke is
//   recognisable after the partition comes back.
// - **Blocking calls** that the API exposes as `async` (`commit`, `warmUp`, `createTopics`)
//   run on a short-lived dedicated thread, never on the cooperative pool.
// - **Logs** from librdkafka's threads go to the client's swift-log `Logger` (`log_cb`, with
//   syslog levels mapped to `Logger.Level`).
//
// Every C resource has exactly one owner and is destroyed exactly once: handles by their
// poll thread after the client is shut down (or from `deinit` if the owner forgot),
// partition lists, messages, events and `rd_kafka_error_t`s in the scope that created
// them. Calls racing with teardown get `KafkaError.shutDown` instead of touching freed
// memory (see `ClientLifecycle`).
