import CouponModel
import Foundation
import IdempotencyStore
import Logging

/// Takes one command from bytes to its result, with exactly-once effect per idempotency key.
///
/// The rules (architecture.md, "Idempotency"):
/// - invalid → `rejected`, dead-lettered, no provider call;
/// - claim the key (a fenced ``Lease``: every later write must carry its token, so a holder that
///   was taken over, even by another delivery in this process, is refused before it sends);
///   already final with the same fingerprint → the stored result again (`replayed`, same
///   `event_id`), dead-lettered again when it is `unknown` or `rejected`; a `failed` with
///   `retryable: true` from another delivery → reopened and executed again; different
///   fingerprint → `rejected` IDEMPOTENCY_CONFLICT; live lease elsewhere → wait; lease expired
///   by the store's clock → take over, asking the provider first when an attempt is in doubt;
/// - before every call, renew the lease and count the attempt (one statement), and start only
///   while the lease surely covers the provider's worst case; a heartbeat renews it while any
///   provider interaction runs;
/// - once a request may have reached the provider, its answer is awaited and its outcome
///   stored even when the command's task is cancelled (revoke, shutdown);
/// - call with rate limit and retries (same body, fresh signature); an ambiguous issue is
///   reconciled (not found: asked again after `ambiguousSettle`, before any re-send), and
///   where the provider cannot be asked it ends `unknown` and dead-lettered;
/// - the final outcome is stored before the result is returned for publishing; an outcome the
///   store refused (the lease was lost) is never returned: the stored one is.
/// While the store is unreachable the processor waits for it (never calls a provider unguarded).
public final class CommandProcessor: Sendable {
    /// Knobs of the exactly-once machinery.
    public struct Settings: Sendable {
        /// How long a claim protects a command being worked on, by the store's clock; renewed
        /// before every attempt and by a heartbeat during provider calls. It must exceed the
        /// worst case of one attempt of every provider route (the worker refuses to start
        /// otherwise).
        public var leaseDuration: Duration
        public var retry: RetryPolicy
        /// This process's identity in lease records (unique per process).
        public var owner: String
        /// The largest command accepted, in bytes.
        public var maxCommandBytes: Int
        /// A store call without an answer by then counts as an unreachable store.
        public var storeCallDeadline: Duration
        /// How long an ambiguous issue (timeout, reset) that reconciliation did not find is
        /// given to land at the provider before it is asked again and, still not found, sent
        /// again: a request we stopped waiting for may still be on its way. The worker uses its
        /// provider timeout: as long again as it waited for the answer.
        public var ambiguousSettle: Duration

        public init(leaseDuration: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(), owner: String,
                    maxCommandBytes: Int = 64 * 1024, storeCallDeadline: Duration = .seconds(10),
                    ambiguousSettle: Duration = .seconds(10)) {
            self.leaseDuration = leaseDuration
            self.retry = retry
            self.owner = owner
            self.maxCommandBytes = maxCommandBytes
            self.storeCallDeadline = storeCallDeadline
            self.ambiguousSettle = ambiguousSettle
        }
    }

    private let store: any IdempotencyStore
    private let providers: ProviderDirectory
    private let settings: Settings
    private let storeCalls: StoreCalls
    private let metrics: WorkerMetrics
    private let logger: Logger

    public init(store: any IdempotencyStore, providers: ProviderDirectory, settings: Settings,
                storeHealth: StoreHealth, metrics: WorkerMetrics, logger: Logger) {
        self.store = store
        self.providers = providers
        self.settings = settings
        self.storeCalls = StoreCalls(
            deadline: settings.storeCallDeadline, backoff: .storeUnavailable, health: storeHealth, logger: logger)
        self.metrics = metrics
        self.logger = logger
    }

    /// Processes one delivery of a command. Throws only `CancellationError` (shutdown or
    /// revoke), and only while no request of this delivery may be on its way to a provider:
    /// the command is then abandoned, its claim protects it, and its offset is not stored.
    /// Once a request was sent, its answer is awaited and its outcome stored first.
    public func process(_ incoming: IncomingCommand) async throws -> CommandOutcome {
        let command: CouponCommand
        switch CommandDecoder.decode(incoming.bytes, topicKind: incoming.kind, maxBytes: settings.maxCommandBytes) {
        case .failure(let rejection):
            return rejected(rejection, incoming)
        case .success(let decoded):
            command = decoded
        }
        guard let route = providers.route(provider: command.provider, merchant: command.merchant) else {
            let known = providers.merchants(of: command.provider)
            let reason = command.merchant == nil
                ? "required: \(known.count) \(command.provider.rawValue) profiles are configured"
                : "no \(command.provider.rawValue) profile named \(command.merchant!.prefix(64))"
            var rejection = CommandRejection(field: "merchant", reason: reason, outRequestNo: command.outRequestNo)
            rejection.provider = command.provider
            rejection.operation = command.operation
            rejection.merchant = command.merchant
            return rejected(rejection, incoming)
        }
        let key = IdempotencyKey(provider: command.provider, merchant: route.merchant, outRequestNo: command.outRequestNo)
        let fingerprint = CommandFingerprint(command: command, merchant: route.merchant)
        let context = Context(command: command, route: route, key: key, fingerprint: fingerprint, source: incoming.source)
        let request = ClaimRequest(
            key: key, fingerprint: fingerprint, owner: settings.owner, leaseDuration: settings.leaseDuration,
            source: "\(incoming.source.topic)/\(incoming.source.partition)/\(incoming.source.offset)")

        var busy = 0
        while true {
            let claimSent = ContinuousClock.now
            let claim: ClaimOutcome
            do {
                claim = try await storeCalls.run("claim") { try await self.store.claim(request) }
            } catch let error as StoreError {
                var rejection = CommandRejection(field: nil, reason: "not storable: \(error)", outRequestNo: command.outRequestNo)
                rejection.provider = command.provider
                rejection.operation = command.operation
                rejection.merchant = route.merchant
                return rejected(rejection, incoming)
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
                    lease: lease, duration: settings.leaseDuration, grantedAfter: claimSent, store: store,
                    calls: storeCalls, logger: logger)
                // Only an earlier attempt that may have reached the provider can have taken effect.
                let askFirst = record.inDoubt && command.operation.kind == .issue
                if let outcome = try await executeAndStore(context, holder: holder, askFirst: askFirst) { return outcome }
            case .alreadyFinal(let record):
                return replay(record, context: context)
            case .conflict:
                let cause = DeadLetterCause(
                    code: .idempotencyConflict,
                    reason: "out_request_no was used before with different content", field: "out_request_no")
                let event = makeEvent(
                    context, status: .rejected, data: nil,
                    error: ResultError(code: .idempotencyConflict, message: cause.reason, retryable: false), attempts: 0)
                return CommandOutcome(result: event, deadLetter: cause)
            case .inProgress:
                // Another delivery holds the key (in this process or another); never call twice at once.
                busy += 1
                try await Task.sleep(for: RetryPolicy.keyBusy.ceiling(afterAttempt: busy))
            }
        }
    }

    private struct Context: Sendable {
        var command: CouponCommand
        var route: ProviderDirectory.Route
        var key: IdempotencyKey
        var fingerprint: CommandFingerprint
        var source: SourcePosition
    }

    /// What the provider calls came to.
    private struct Execution: Sendable {
        var status: ResultStatus
        var data: JSONValue?
        var error: ResultError?
        var attempts: Int
        var calls: Int
    }

    /// What one shielded attempt came to.
    private enum Step: Sendable {
        case done(Execution)
        case retry(ProviderFailure)
    }

    /// Executes under `holder`'s lease and stores the outcome. Nil when the lease was lost to
    /// another holder: claim again (wait for it, then replay what it stored). An outcome that
    /// was not stored is never returned for publishing.
    private func executeAndStore(_ context: Context, holder: LeaseHolder, askFirst: Bool) async throws -> CommandOutcome? {
        let execution: Execution
        do {
            execution = try await execute(context, holder: holder, askFirst: askFirst)
        } catch is LeaseHolder.Lost {
            logger.notice("lease lost to a newer holder; claiming again", metadata: [
                "out_request_no": "\(context.key.outRequestNo)", "lease": "\(holder.lease)",
            ])
            return nil
        }
        let event = makeEvent(context, status: execution.status, data: execution.data, error: execution.error,
                              attempts: execution.attempts)
        let outcome = StoredOutcome(
            status: event.status, resultEvent: event.encoded(),
            reopenable: event.status == .failed && event.error?.retryable == true)
        let stored = try await runShielded { flag in try await holder.complete(outcome, flag: flag) }
        guard stored else {
            // A newer token holds the key: its outcome is the one of record, never ours.
            logger.warning("lease lost before the outcome was stored; the stored outcome decides", metadata: [
                "out_request_no": "\(context.key.outRequestNo)", "status": "\(event.status.rawValue)",
            ])
            let record = try await storeCalls.run("record") { try await self.store.record(for: context.key) }
            guard let record, record.state == .final else { return nil }
            var replayed = replay(record, context: context)
            replayed.providerCalls = execution.calls
            return replayed
        }
        return CommandOutcome(result: event, deadLetter: deadLetterCause(of: event), providerCalls: execution.calls)
    }

    private func execute(_ context: Context, holder: LeaseHolder, askFirst: Bool) async throws -> Execution {
        let command = context.command
        if askFirst {
            // An earlier holder's attempt may have issued before it died or gave up.
            switch try await findEarlierEffect(context, holder: holder) {
            case .found(let data): return Execution(status: .succeeded, data: data, error: nil, attempts: 1, calls: 0)
            case .unknowable:
                return unknown("an earlier attempt may have issued the coupon and \(command.provider.rawValue) cannot be asked", calls: 0)
            case .notFound:
                try await holder.recordNoEffect(flag: nil)
            }
        }
        let started = ContinuousClock.now
        var attempt = 0
        var calls = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            try await context.route.limiter.acquire()
            _ = try await holder.recordAttempt(covering: context.route.client.worstCaseAttempt)
            calls += 1
            // From here the request may reach the provider: its answer is awaited and decided
            // on whatever happens to this task; only a further attempt is skipped when cancelled.
            let step = try await runShielded { [attempt, calls] flag in
                try await self.attempt(context, holder: holder, attempt: attempt, calls: calls, flag: flag)
            }
            switch step {
            case .done(let execution):
                return execution
            case .retry(let failure):
                guard let delay = settings.retry.delay(
                    afterAttempt: attempt, elapsed: started.duration(to: .now), random: Double.random(in: 0...1))
                else {
                    return Execution(status: .failed, data: nil, error: failure.resultError, attempts: attempt, calls: calls)
                }
                metrics.retry(command: command, code: failure.code)
                try await Task.sleep(for: delay)
            }
        }
    }

    /// One provider call and what its answer means, run shielded: it is never cut short.
    private func attempt(
        _ context: Context, holder: LeaseHolder, attempt: Int, calls: Int, flag: CancellationFlag
    ) async throws -> Step {
        let command = context.command
        let isIssue = command.operation.kind == .issue
        let callStarted = ContinuousClock.now
        let answer: Result<JSONValue, ProviderFailure> = try await holder.withHeartbeat {
            do throws(ProviderFailure) {
                return .success(try await context.route.client.execute(command))
            } catch {
                return .failure(error)
            }
        }
        let failure: ProviderFailure
        switch answer {
        case .success(let data):
            metrics.providerCall(command: command, outcome: "ok", duration: callStarted.duration(to: .now))
            return .done(Execution(status: .succeeded, data: data, error: nil, attempts: attempt, calls: calls))
        case .failure(let error):
            failure = error
            metrics.providerCall(command: command, outcome: failure.code.rawValue, duration: callStarted.duration(to: .now))
        }
        if failure.code == .invalidCommand {
            // Refused by the provider module before anything was sent: the command is invalid.
            try await holder.recordNoEffect(flag: flag)
            return .done(Execution(
                status: .rejected, data: nil, error: ResultError(code: .invalidCommand, message: failure.message, retryable: false),
                attempts: 0, calls: calls - 1))
        }
        if isIssue {
            if failure.ambiguous {
                // It may have been processed. Cancelled: leave it in doubt under the claim; the
                // next holder asks the provider before anything is sent again.
                if flag.isRaised { throw CancellationError() }
                switch try await findEarlierEffect(context, holder: holder) {
                case .found(let data):
                    return .done(Execution(status: .succeeded, data: data, error: nil, attempts: attempt, calls: calls))
                case .unknowable:
                    return .done(unknown("\(failure.message); the request may have been processed", calls: calls,
                                         attempts: attempt, providerCode: failure.providerCode))
                case .notFound:
                    break  // not processed after all: the failure decides as usual
                }
            }
            try await holder.recordNoEffect(flag: flag)
        }
        guard failure.retryable else {
            return .done(Execution(status: .failed, data: nil, error: failure.resultError, attempts: attempt, calls: calls))
        }
        // Nothing is in doubt now: a cancelled command stops before it sends again.
        if flag.isRaised { throw CancellationError() }
        return .retry(failure)
    }

    /// Asks the provider whether an earlier attempt took effect, under a heartbeat. Not found is
    /// asked again after `ambiguousSettle` (a request the worker stopped waiting for may still
    /// land) before anyone may send it again.
    private func findEarlierEffect(_ context: Context, holder: LeaseHolder) async throws -> Reconciliation {
        let settle = settings.ambiguousSettle
        return try await holder.withHeartbeat {
            let answer = try await self.reconcile(context)
            guard case .notFound = answer else { return answer }
            try await Task.sleep(for: settle)
            return try await self.reconcile(context)
        }
    }

    /// Asks the provider whether an earlier attempt took effect, retrying transient failures;
    /// when it cannot be found out, the answer is `.unknowable`.
    private func reconcile(_ context: Context) async throws -> Reconciliation {
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            try await context.route.limiter.acquire()
            do {
                return try await context.route.client.reconcile(context.command)
            } catch {
                guard error.retryable,
                    let delay = settings.retry.delay(
                        afterAttempt: attempt, elapsed: started.duration(to: .now), random: Double.random(in: 0...1))
                else {
                    logger.error("reconciliation failed", metadata: [
                        "out_request_no": "\(context.key.outRequestNo)", "error": "\(error.message)",
                    ])
                    return .unknowable
                }
                try await Task.sleep(for: delay)
            }
        }
    }

    private func unknown(_ message: String, calls: Int, attempts: Int = 1, providerCode: String? = nil) -> Execution {
        Execution(
            status: .unknown, data: nil,
            error: ResultError(code: .outcomeUnknown, message: message, providerCode: providerCode, retryable: false),
            attempts: attempts, calls: calls)
    }

    /// A stored outcome that a person must look at is dead-lettered every time it is
    /// published, replays included: a dead letter lost with a crash comes back with the replay.
    private func deadLetterCause(of event: ResultEvent) -> DeadLetterCause? {
        switch event.status {
        case .unknown: DeadLetterCause(code: .outcomeUnknown, reason: event.error?.message ?? "outcome unknown")
        case .rejected:
            DeadLetterCause(code: event.error?.code ?? .invalidCommand, reason: event.error?.message ?? "rejected")
        case .succeeded, .failed: nil
        }
    }

    private func replay(_ record: IdempotencyRecord, context: Context) -> CommandOutcome {
        guard let bytes = record.resultEvent,
            var event = try? JSONDecoder().decode(ResultEvent.self, from: Data(bytes))
        else {
            let event = makeEvent(
                context, status: .failed, data: nil,
                error: ResultError(code: .internalError, message: "stored result is unreadable", retryable: false),
                attempts: record.attempts)
            return CommandOutcome(
                result: event, deadLetter: DeadLetterCause(code: .internalError, reason: "stored result is unreadable"))
        }
        event.replayed = true
        event.source = context.source
        return CommandOutcome(result: event, deadLetter: deadLetterCause(of: event))
    }

    private func rejected(_ rejection: CommandRejection, _ incoming: IncomingCommand) -> CommandOutcome {
        CommandOutcome(
            result: ResultEvent.rejected(
                rejection, message: incoming.bytes, topicKind: incoming.kind, source: incoming.source, at: Date()),
            deadLetter: DeadLetterCause(code: rejection.code, reason: rejection.reason, field: rejection.field))
    }

    private func makeEvent(_ context: Context, status: ResultStatus, data: JSONValue?, error: ResultError?,
                           attempts: Int) -> ResultEvent
    {
        ResultEvent(
            eventId: ResultEvent.eventID(
                outRequestNo: context.key.outRequestNo, key: context.key, status: status, fingerprint: context.fingerprint),
            outRequestNo: context.key.outRequestNo, command: context.command.operation.kind,
            provider: context.command.provider.rawValue, operation: context.command.operation.rawValue,
            merchant: context.key.merchant, status: status, data: data, error: error, attempts: attempts,
            replayed: false, occurredAt: ResultEvent.timestamp(Date()), source: context.source)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
