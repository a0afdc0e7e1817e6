import CouponModel
import IdempotencyStore
import Logging
import Tracing

/// Claims a command's idempotency key until the command is decided (architecture.md,
/// "Idempotency"):
/// - claimed fresh, reopened (a `failed` with `retryable: true`), or taken over after the
///   lease expired by the store's clock → executed under that fenced lease, asking the
///   provider first when an earlier attempt is in doubt;
/// - already final with the same fingerprint → the stored result again (`replayed`);
/// - different fingerprint → `rejected` IDEMPOTENCY_CONFLICT;
/// - a live lease elsewhere (another delivery, in this process or another) → wait and claim
///   again: one key is never called twice at once;
/// - the lease lost to a newer holder during the execution → claim again, and replay what
///   that holder stores.
/// While the store does not answer the loop waits for it (`StoreCalls`): no provider is ever
/// called unguarded.
struct ClaimLoop: Sendable {
    let store: any IdempotencyStore
    let owner: String
    let leaseDuration: Duration
    let storeCalls: StoreCalls
    /// The lease heartbeats' deadlines (a third of `leaseDuration`).
    let heartbeats: DeadlineQueue<ContinuousClock>
    let execution: CommandExecution
    let logger: Logger

    /// Decides `context`'s command. Throws only `CancellationError`, and only while no request
    /// of this delivery may be on its way to a provider.
    func decide(_ context: CommandContext, incoming: IncomingCommand) async throws -> CommandOutcome {
        let key = context.key, command = context.command
        let request = ClaimRequest(
            key: key, fingerprint: context.fingerprint, owner: owner, leaseDuration: leaseDuration,
            source: "\(incoming.source.topic)/\(incoming.source.partition)/\(incoming.source.offset)")
        var busy = 0
        while true {
            let claimSent = ContinuousClock.now
            let claim: ClaimOutcome
            do {
                claim = try await withSpan(CommandSpans.claim) { span in
                    let claim = try await storeCalls.run("claim") { try await self.store.claim(request) }
                    span.updateAttributesIfRecording { $0["coupon.claim"] = claim.traceName }
                    return claim
                }
            } catch let error as StoreError {
                var rejection = CommandRejection(field: nil, reason: "not storable: \(error)", outRequestNo: command.outRequestNo)
                rejection.provider = command.provider
                rejection.operation = command.operation
                rejection.merchant = context.route.merchant
                return ResultEventFactory.rejected(rejection, incoming)
            }
            switch claim {
            case .claimed(let record), .takenOver(let record), .reopened(let record):
                guard let lease = claim.lease else { continue }
                if case .takenOver = claim {
                    logger.warning("lease expired, taking over", metadata: [
                        "out_request_no": "\(key.outRequestNo)", "earlier_attempts": "\(record.attempts)",
                        "in_doubt": "\(record.inDoubt)",
                    ])
                }
                let holder = LeaseHolder(
                    lease: lease, duration: leaseDuration, grantedAfter: claimSent, store: store, calls: storeCalls,
                    heartbeats: heartbeats, logger: logger)
                // Only an earlier attempt that may have reached the provider can have taken effect.
                let askFirst = record.inDoubt && command.operation.kind == .issue
                if let outcome = try await execution.executeAndStore(context, holder: holder, askFirst: askFirst) {
                    return outcome
                }
            case .alreadyFinal(let record):
                return ResultEventFactory.replay(record, context: context)
            case .conflict:
                return ResultEventFactory.conflict(context)
            case .inProgress:
                // Another delivery holds the key (in this process or another); never call twice at once.
                busy += 1
                try await withSpan(CommandSpans.waitForKeyBusy) { _ in try await RetryPolicy.keyBusy.waitOut(afterAttempt: busy) }
            }
        }
    }
}

extension ClaimOutcome {
    /// How a claim ended, for its span.
    fileprivate var traceName: String {
        switch self {
        case .claimed: "claimed"
        case .takenOver: "taken_over"
        case .reopened: "reopened"
        case .alreadyFinal: "already_final"
        case .conflict: "conflict"
        case .inProgress: "in_progress"
        }
    }
}
