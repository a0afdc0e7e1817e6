/// The records a `KafkaConsumer` reads, in order per partition.
///
/// Ends normally after `close()`, and with a `KafkaError` if the consumer hit a fatal error
/// (after which it must be closed and recreated). Backed by a buffer fed by the consumer's
/// poll thread, which waits at `KafkaConsumerConfiguration.intakeLimit` records (see
/// `IntakeWindow`): records are never dropped, and an application that stops reading for long
/// must `pause` partitions to bound memory (`buffered` tells how far behind it is). Iterate
/// it from one task at a time.
public struct KafkaMessageSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = KafkaError

    let stream: AsyncThrowingStream<KafkaConsumerMessage, any Error>
    let window: IntakeWindow

    /// Records the poll thread has handed over that the application has not read yet.
    public var buffered: Int { window.buffered }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = KafkaConsumerMessage
        public typealias Failure = KafkaError

        var base: AsyncThrowingStream<KafkaConsumerMessage, any Error>.AsyncIterator
        let window: IntakeWindow

        public mutating func next() async throws(KafkaError) -> KafkaConsumerMessage? {
            do {
                let message = try await base.next()
                if message != nil { window.take() }
                return message
            } catch {
                throw Self.kafkaError(error)
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(KafkaError) -> KafkaConsumerMessage? {
            do {
                let message = try await base.next(isolation: actor)
                if message != nil { window.take() }
                return message
            } catch {
                throw Self.kafkaError(error)
            }
        }

        /// The stream is only ever finished with a `KafkaError`.
        private static func kafkaError(_ error: any Error) -> KafkaError {
            (error as? KafkaError) ?? .fatal(client: "consumer", code: .fatal, reason: "\(error)")
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), window: window)
    }
}
