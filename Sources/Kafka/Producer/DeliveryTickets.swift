import Synchronization

/// The `send` calls waiting for a delivery report, by ticket.
///
/// A message's librdkafka opaque is its ticket number (not a pointer), so a report, a
/// failed enqueue and a shutdown can each try to complete it and only the first does:
/// every continuation resumes exactly once and nothing is reference-counted by hand.
final class DeliveryTickets: Sendable {
    typealias Continuation = CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>

    private struct State {
        var nextTicket: UInt = 1  // 0 would be a null opaque
        var waiting: [UInt: Continuation] = [:]
    }

    private let state = Mutex(State())

    func register(_ continuation: Continuation) -> UInt {
        state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.waiting[ticket] = continuation
            return ticket
        }
    }

    func complete(_ ticket: UInt, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let continuation = state.withLock { $0.waiting.removeValue(forKey: ticket) }
        continuation?.resume(returning: result)
    }

    /// Fails every waiting send; used once the handle is destroyed.
    func failAll(with error: KafkaError) {
        let continuations = state.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in continuations {
            continuation.resume(returning: .failure(error))
        }
    }
}
