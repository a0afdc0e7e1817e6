import CouponModel
import Foundation
import IdempotencyStore

/// Builds the result event (and dead-letter cause) of every way a command can end: executed,
/// rejected before a claim, in conflict with an earlier use of its out_request_no, or replayed
/// from the idempotency record.
///
/// The event id depends only on the key, the status, the fingerprint and (for `failed`) the
/// error's code and `retryable`, so a replay carries the same `event_id` as the result it
/// repeats, and a reopened key that fails differently gets a new one.
enum ResultEventFactory {
    /// The result of `context`'s command, as decided now.
    static func event(
        _ context: CommandContext, status: ResultStatus, data: JSONValue?, error: ResultError?, attempts: Int
    ) -> ResultEvent {
        ResultEvent(
            eventId: ResultEvent.eventID(
                outRequestNo: context.key.outRequestNo, key: context.key, status: status, fingerprint: context.fingerprint,
                error: error),
            outRequestNo: context.key.outRequestNo, command: context.command.operation.kind,
            provider: context.command.provider.rawValue, operation: context.command.operation.rawValue,
            merchant: context.key.merchant, status: status, data: data, error: error, attempts: attempts,
            replayed: false, occurredAt: ResultEvent.timestamp(Date()), source: context.source)
    }

    /// The outcome of a decided event: a stored outcome that a person must look at is
    /// dead-lettered with it.
    static func outcome(of event: ResultEvent, encoded: [UInt8]? = nil, providerCalls: Int = 0) -> CommandOutcome {
        CommandOutcome(result: event, encodedResult: encoded, deadLetter: deadLetterCause(of: event), providerCalls: providerCalls)
    }

    /// A command refused before any claim (invalid, no route, not storable): `rejected` and
    /// dead-lettered with the original bytes.
    static func rejected(_ rejection: CommandRejection, _ incoming: IncomingCommand) -> CommandOutcome {
        CommandOutcome(
            result: ResultEvent.rejected(
                rejection, message: incoming.bytes, topicKind: incoming.kind, source: incoming.source, at: Date()),
            deadLetter: DeadLetterCause(code: rejection.code, reason: rejection.reason, field: rejection.field))
    }

    /// The out_request_no was used before with different content: `rejected`
    /// IDEMPOTENCY_CONFLICT, dead-lettered, nothing sent.
    static func conflict(_ context: CommandContext) -> CommandOutcome {
        let cause = DeadLetterCause(
            code: .idempotencyConflict, reason: "out_request_no was used before with different content",
            field: "out_request_no")
        let event = event(
            context, status: .rejected, data: nil,
            error: ResultError(code: .idempotencyConflict, message: cause.reason, retryable: false), attempts: 0)
        return CommandOutcome(result: event, deadLetter: cause)
    }

    /// The stored result of a final record again (`replayed`, same `event_id`, this delivery's
    /// source), dead-lettered again when it needs a person.
    static func replay(_ record: IdempotencyRecord, context: CommandContext) -> CommandOutcome {
        guard let bytes = record.resultEvent,
            var event = try? JSONDecoder().decode(ResultEvent.self, from: Data(bytes))
        else {
            let event = event(
                context, status: .failed, data: nil,
                error: ResultError(code: .internalError, message: "stored result is unreadable", retryable: false),
                attempts: record.attempts)
            return CommandOutcome(
                result: event, deadLetter: DeadLetterCause(code: .internalError, reason: "stored result is unreadable"))
        }
        event.replayed = true
        event.source = context.source
        return outcome(of: event)
    }

    /// A stored outcome that a person must look at is dead-lettered every time it is
    /// published, replays included: a dead letter lost with a crash comes back with the replay.
    private static func deadLetterCause(of event: ResultEvent) -> DeadLetterCause? {
        switch event.status {
        case .unknown: DeadLetterCause(code: .outcomeUnknown, reason: event.error?.message ?? "outcome unknown")
        case .rejected:
            DeadLetterCause(code: event.error?.code ?? .invalidCommand, reason: event.error?.message ?? "rejected")
        case .succeeded, .failed: nil
        }
    }
}
