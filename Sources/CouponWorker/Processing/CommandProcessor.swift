import CouponModel
import Foundation
import IdempotencyStore
import Logging

/// Takes one command from bytes to its result, with exactly-once effect per idempotency key.
///
/// The rules (architecture.md, "Idempotency"):
/// - invalid → `rejected`, dead-lettered, no provider call;
/// - claim the key; already final with the same fingerprint → the stored result again
///   (`replayed`, same `event_id`); different fingerprint → `rejected` IDEMPOTENCY_CONFLICT;
///   live lease elsewhere → wait; expired lease → take over, reconciling an issue first;
/// - before every call, renew the lease and count the attempt (one statement);
/// - call with rate limit and retries (same body, fresh signature); an ambiguous issue is
///   reconciled (not found: asked again after `ambiguousSettle`, before any re-send), and
///   where the provider cannot be asked it ends `unknown` and dead-lettered;
/// - the final outcome is stored before the result is returned for publishing.
/// While the store is unreachable the processor waits for it (never calls a provider unguarded).
public final class CommandProcessor: Sendable {
    /// Knobs of the exactly-once machinery.
    public struct Settings: Sendable {
        /// How long a claim protects a command being worked on; renewed before every attempt.
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
    private let storeHealth: StoreHealth
    private let metrics: WorkerMetrics
    private let logger: Logger

    public init(store: any IdempotencyStore, providers: ProviderDirectory, settings: Settings,
                storeHealth: StoreHealth, metrics: WorkerMetrics, logger: Logger) {
        self.store = store
        self.providers = providers
        self.settings = settings
        self.storeHealth = storeHealth
        self.metrics = metrics
        self.logger = logger
    }

    /// Processes one delivery of a command. Throws only `CancellationError` (shutdown or
    /// revoke): the command is then abandoned, its claim protects it, and its offset is not stored.
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

        while true {
            let claim: ClaimOutcome
            do {
                claim = try await guarded {
                    try await self.store.claim(ClaimRequest(
                        key: key, fingerprint: fingerprint, owner: self.settings.owner,
                        leaseDuration: self.settings.leaseDuration, now: Date()))
                }
            } catch let error as StoreError {
                var rejection = CommandRejection(field: nil, reason: "not storable: \(error)", outRequestNo: command.outRequestNo)
                rejection.provider = command.provider
                rejection.operation = command.operation
                rejection.merchant = route.merchant
                return rejected(rejection, incoming)
            }
            switch claim {
            case .claimed:
                if let outcome = try await executeAndStore(context, tookOver: false) { return outcome }
            case .takenOver(let record):
                // Only an earlier attempt that reached the provider can have taken effect.
                let mayHaveTakenEffect = record.attempts > 0
                logger.warning("lease expired, taking over", metadata: [
                    "out_request_no": "\(key.outRequestNo)", "earlier_attempts": "\(record.attempts)",
                ])
                if let outcome = try await executeAndStore(context, tookOver: mayHaveTakenEffect) { return outcome }
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
            case .inProgress(let record):
                // Another worker is calling the provider right now; never call twice at once.
                let remaining = (record.leaseUntil ?? Date()).timeIntervalSinceNow
                try await Task.sleep(for: .milliseconds(Int(min(max(remaining, 0.05), 1.0) * 1000)))
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
    private struct Execution {
        var status: ResultStatus
        var data: JSONValue?
        var error: ResultError?
        var attempts: Int
        var calls: Int
    }

    private struct LeaseLost: Error {}

    /// Nil when the lease was lost to another worker: claim again.
    private func executeAndStore(_ context: Context, tookOver: Bool) async throws -> CommandOutcome? {
        let execution: Execution
        do {
            execution = try await execute(context, tookOver: tookOver)
        } catch is LeaseLost {
            return nil
        }
        let event = makeEvent(context, status: execution.status, data: execution.data, error: execution.error,
                              attempts: execution.attempts)
        let stored = try await guardedIgnoringInput {
            try await self.store.complete(
                key: context.key, owner: self.settings.owner,
                outcome: StoredOutcome(status: event.status, resultEvent: event.encoded()))
        }
        let current: IdempotencyRecord? = stored ? nil : try await guardedIgnoringInput { try await self.store.record(for: context.key) }
        if let record = current, record.state == RecordState.final {
            // Someone else finished it first; theirs is the outcome of record.
            var outcome = replay(record, context: context)
            outcome.providerCalls = execution.calls
            return outcome
        }
        let deadLetter = execution.status == .unknown
            ? DeadLetterCause(code: .outcomeUnknown, reason: execution.error?.message ?? "outcome unknown")
            : nil
        return CommandOutcome(result: event, deadLetter: deadLetter, providerCalls: execution.calls)
    }

    private func execute(_ context: Context, tookOver: Bool) async throws -> Execution {
        let command = context.command
        let isIssue = command.operation.kind == .issue
        var calls = 0
        if tookOver && isIssue {
            // The worker that held the lease may have issued before it died.
            switch try await reconcile(context) {
            case .found(let data): return Execution(status: .succeeded, data: data, error: nil, attempts: 1, calls: 0)
            case .notFound: break
            case .unknowable:
                return unknown("an earlier attempt may have issued the coupon and \(command.provider.rawValue) cannot be asked", calls: 0)
            }
        }
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            try await context.route.limiter.acquire()
            // Counted before the call: a takeover must know this attempt may have taken effect.
            let counted = try await guardedIgnoringInput {
                try await self.store.recordAttempt(
                    key: context.key, owner: self.settings.owner,
                    leaseUntil: Date().addingTimeInterval(self.settings.leaseDuration.seconds))
            }
            guard counted != nil else { throw LeaseLost() }
            calls += 1
            let callStarted = ContinuousClock.now
            let failure: ProviderFailure
            do {
                let data = try await context.route.client.execute(command)
                metrics.providerCall(command: command, outcome: "ok", duration: callStarted.duration(to: .now))
                return Execution(status: .succeeded, data: data, error: nil, attempts: attempt, calls: calls)
            } catch {
                failure = error
                metrics.providerCall(command: command, outcome: failure.code.rawValue, duration: callStarted.duration(to: .now))
            }
            try Task.checkCancellation()
            if failure.ambiguous && isIssue {
                var answer = try await reconcile(context)
                if case .notFound = answer {
                    // Not there yet is not "never": the request may still be on its way.
                    // Ask again once it has had time to land, before sending it again.
                    try await settle(context)
                    answer = try await reconcile(context)
                }
                switch answer {
                case .found(let data):
                    return Execution(status: .succeeded, data: data, error: nil, attempts: attempt, calls: calls)
                case .unknowable:
                    return unknown("\(failure.message); the request may have been processed", calls: calls,
                                   attempts: attempt, providerCode: failure.providerCode)
                case .notFound:
                    break  // not processed after all: the failure decides as usual
                }
            }
            guard failure.retryable else {
                return Execution(status: .failed, data: nil, error: failure.resultError, attempts: attempt, calls: calls)
            }
            guard let delay = settings.retry.delay(
                afterAttempt: attempt, elapsed: started.duration(to: .now), random: Double.random(in: 0...1))
            else {
                return Execution(status: .failed, data: nil, error: failure.resultError, attempts: attempt, calls: calls)
            }
            metrics.retry(command: command, code: failure.code)
            try await Task.sleep(for: delay)
        }
    }

    /// Waits `ambiguousSettle` for an ambiguous request to land, holding the lease meanwhile
    /// (nobody may take over and re-send while this worker still might).
    private func settle(_ context: Context) async throws {
        let held = try await guardedIgnoringInput {
            try await self.store.extendLease(
                key: context.key, owner: self.settings.owner,
                until: Date().addingTimeInterval((self.settings.ambiguousSettle + self.settings.leaseDuration).seconds))
        }
        guard held else { throw LeaseLost() }
        try await Task.sleep(for: settings.ambiguousSettle)
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
        return CommandOutcome(result: event, deadLetter: nil)
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

    /// Runs a store call, waiting out an unavailable store (no command passes meanwhile).
    /// Input errors are thrown to the caller as `StoreError`; cancellation as `CancellationError`.
    private func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        var delay = Duration.milliseconds(50)
        while true {
            try Task.checkCancellation()
            do {
                let value = try await StoreDeadline.run(within: settings.storeCallDeadline, body)
                storeHealth.markHealthy()
                return value
            } catch let error as StoreError {
                switch error {
                case .keyTooLong, .invalidInput: throw error
                default:
                    storeHealth.markUnhealthy("\(error)")
                    logger.error("idempotency store unavailable; holding work", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
    }

    /// `guarded` for calls whose input was already accepted by a claim.
    private func guardedIgnoringInput<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await guarded(body)
        } catch let error as StoreError {
            // The claim accepted this input, so this is a store defect; retrying would loop.
            // Abandon the delivery: its claim protects it and the offset stays where it is.
            logger.critical("idempotency store rejected accepted input", metadata: ["error": "\(error)"])
            throw CancellationError()
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
