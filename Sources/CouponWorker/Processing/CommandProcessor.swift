import CouponModel
import IdempotencyStore
import Logging

/// Takes one command from bytes to its result, with exactly-once effect per idempotency key.
///
/// The rules (architecture.md, "Idempotency"):
/// - invalid → `rejected` (under the record's key when the message has no readable
///   out_request_no), dead-lettered, no provider call;
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
/// - call with rate limit and retries (same body, fresh signature); an issue answered with a
///   server error is looked for once before it is sent again; an ambiguous issue is
///   reconciled (not found: asked again after `ambiguousSettle`, before any re-send; still
///   not found after an answer that said it was processed: `unknown`), and where the
///   provider cannot be asked it ends `unknown` and dead-lettered;
/// - the final outcome is stored before the result is returned for publishing; an outcome the
///   store refused (the lease was lost) is never returned: the stored one is.
/// While the store is unreachable the processor waits for it (never calls a provider unguarded).
///
/// Here a command is decoded and routed; its phases are types of their own: ``ClaimLoop``
/// (claim, replay, conflict, wait), ``CommandExecution`` (calls with retries under the lease,
/// the outcome stored), ``Reconciler`` (was an ambiguous issue processed?) and
/// ``ResultEventFactory`` (the events and dead-letter causes of every ending).
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
        /// How long an ambiguous issue (timeout, reset) that reconciliation did not find is
        /// given to land at the provider before it is asked again and, still not found, sent
        /// again: a request we stopped waiting for may still be on its way. The worker uses its
        /// provider timeout: as long again as it waited for the answer.
        public var ambiguousSettle: Duration
        /// The clock `ambiguousSettle` is waited on: the continuous clock, or one a test moves
        /// by hand to decide when the settle is over.
        public var settleClock: any Clock<Duration>

        public init(leaseDuration: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(), owner: String,
                    maxCommandBytes: Int = 64 * 1024,
                    ambiguousSettle: Duration = .seconds(10), settleClock: any Clock<Duration> = ContinuousClock()) {
            self.leaseDuration = leaseDuration
            self.retry = retry
            self.owner = owner
            self.maxCommandBytes = maxCommandBytes
            self.ambiguousSettle = ambiguousSettle
            self.settleClock = settleClock
        }
    }

    private let providers: ProviderDirectory
    private let maxCommandBytes: Int
    private let claims: ClaimLoop

    public init(store: any IdempotencyStore, providers: ProviderDirectory, settings: Settings,
                storeHealth: StoreHealth, metrics: WorkerMetrics, logger: Logger) {
        self.providers = providers
        self.maxCommandBytes = settings.maxCommandBytes
        let storeCalls = StoreCalls(backoff: .storeUnavailable, health: storeHealth, logger: logger)
        let reconciler = Reconciler(
            retry: settings.retry, settle: settings.ambiguousSettle, clock: settings.settleClock, logger: logger)
        self.claims = ClaimLoop(
            store: store, owner: settings.owner, leaseDuration: settings.leaseDuration, storeCalls: storeCalls,
            heartbeats: DeadlineQueue(length: settings.leaseDuration / 3, clock: ContinuousClock()),
            execution: CommandExecution(
                retry: settings.retry, reconciler: reconciler, store: store, storeCalls: storeCalls, metrics: metrics,
                logger: logger),
            logger: logger)
    }

    /// Processes one delivery of a command. Throws only `CancellationError` (shutdown or
    /// revoke), and only while no request of this delivery may be on its way to a provider:
    /// the command is then abandoned, its claim protects it, and its offset is not stored.
    /// Once a request was sent, its answer is awaited and its outcome stored first.
    public func process(_ incoming: IncomingCommand) async throws -> CommandOutcome {
        let command: CouponCommand
        switch CommandDecoder.decode(incoming.bytes, topicKind: incoming.kind, maxBytes: maxCommandBytes) {
        case .failure(var rejection):
            rejection.fallBack(toRecordKey: incoming.recordKey)
            return ResultEventFactory.rejected(rejection, incoming)
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
            return ResultEventFactory.rejected(rejection, incoming)
        }
        let key = IdempotencyKey(provider: command.provider, merchant: route.merchant, outRequestNo: command.outRequestNo)
        let context = CommandContext(
            command: command, route: route, key: key, fingerprint: CommandFingerprint(command: command, merchant: route.merchant),
            source: incoming.source)
        return try await claims.decide(context, incoming: incoming)
    }
}
