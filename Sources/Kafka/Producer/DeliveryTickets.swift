import Synchronization

/// The `send` calls waiting for a delivery report, by ticket.
///
/// A message's librdkafka opaque is its ticket number (not a pointer), so a report, a
/// failed enqueue, a shutdown and the sender's cancellation can each try to complete it and
/// only the first does: every continuation resumes exactly once and nothing is
/// reference-counted by hand.
final class DeliveryTickets: Sendable {
    typealias Continuation = CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>

    /// Where one ticket is: taken but not yet waited on, waited on, or given up by its sender
    /// before it waited (its report, if one comes, is dropped).
    private enum Slot {
        case reserved
        case waiting(Continuation)
        case abandoned
    }

    private struct State {
        var nextTicket: UInt = 1  // 0 would be a null opaque
        var slots: [UInt: Slot] = [:]
    }

    private let state = Mutex(State())

    /// A new ticket, before its sender waits on it.
    func reserve() -> UInt {
        state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.slots[ticket] = .reserved
            return ticket
        }
    }

    /// Waits on `ticket`; false when its sender gave it up already: `continuation` is not kept.
    func wait(on ticket: UInt, with continuation: Continuation) -> Bool {
        state.withLock { state in
            guard case .reserved = state.slots[ticket] else {
                state.slots[ticket] = nil
                return false
            }
            state.slots[ticket] = .waiting(continuation)
            return true
        }
    }

    func complete(_ ticket: UInt, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let continuation = state.withLock { state -> Continuation? in
            guard case .waiting(let continuation) = state.slots[ticket] else { return nil }
            state.slots[ticket] = nil
            return continuation
        }
        continuation?.resume(returning: result)
    }

    /// The sender stopped waiting: a waiting ticket completes with `error` now, a reserved one
    /// is marked so it is never waited on; either way its report, if one comes, is dropped.
    func abandon(_ ticket: UInt, with error: KafkaError) {
        let continuation = state.withLock { state -> Continuation? in
            switch state.slots[ticket] {
            case .reserved:
                state.slots[ticket] = .abandoned
                return nil
            case .waiting(let continuation):
                state.slots[ticket] = nil
                return continuation
            case .abandoned, nil:
                return nil
            }
        }
        continuation?.resume(returning: .failure(error))
    }

    /// Fails every waiting send; used once the handle is destroyed.
    func failAll(with error: KafkaError) {
        let continuations = state.withLock { state in
            defer { state.slots = state.slots.filter { if case .waiting = $0.value { false } else { true } } }
            return state.slots.values.compactMap { slot -> Continuation? in
                if case .waiting(let continuation) = slot { continuation } else { nil }
            }
        }
        for continuation in continuations {
            continuation.resume(returning: .failure(error))
        }
    }
}
