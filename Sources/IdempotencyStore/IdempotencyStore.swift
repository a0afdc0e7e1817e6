import CouponModel
import Foundation

/// The guard that makes every command take effect once per idempotency key
/// (provider + merchant + out_request_no), whatever crashes, redeliveries or duplicates happen.
///
/// A record goes through two states: `in_progress` under a lease held by one worker, then
/// `final` with the result event that was published for it. Every grant of the lease carries a
/// fencing token (``Lease``) that the holder presents on every later write, and lease expiry is
/// judged by the store's clock (``StoreClock``), never by a worker's. Every operation that changes a
/// record is a single atomic statement in the backing database, so many workers (tasks,
/// processes, machines) can share one store: exactly one of them wins a claim or a takeover.
///
/// Implementations: ``SQLiteIdempotencyStore`` (embedded default, one file) and
/// ``PostgresIdempotencyStore`` (shared by many instances). ``IdempotencyStoreFactory`` picks
/// one from a location string. Every failure is a typed ``StoreError``; a store never crashes
/// the process on bad input or an unreachable database. Every call answers within the store's
/// call deadline: past it, or when the caller's task is cancelled, it throws
/// ``StoreError/unreachable(_:)`` and leaves the statement to finish on its own.
public protocol IdempotencyStore: Sendable {
    /// Creates or migrates the schema, recording the applied version in a version table.
    /// Idempotent, and safe when several instances migrate at the same time.
    func migrate() async throws(StoreError)

    /// Atomic insert-or-inspect: creates an in-progress record leased to the claimer, or tells
    /// what already exists under the key (see ``ClaimOutcome``). An in-progress record whose
    /// lease expired by the store's clock, or a reopenable failure from another delivery, is
    /// taken by exactly one of any number of concurrent claimers, with a new fencing token.
    func claim(_ request: ClaimRequest) async throws(StoreError) -> ClaimOutcome

    /// Renews the lease to `duration` from the store's now (the heartbeat while a provider
    /// interaction runs); a renewal never shortens a lease. False when `lease` is no longer current (taken over, completed or
    /// purged): the holder must not start anything new for the key.
    func extendLease(_ lease: Lease, for duration: Duration) async throws(StoreError) -> Bool

    /// Counts one provider attempt, marks the record in doubt (the attempt may take effect)
    /// and renews the lease to `duration`, in one statement; it runs before every provider
    /// call. Returns the new count, or nil when `lease` is no longer current: the holder must
    /// not call the provider.
    func recordAttempt(_ lease: Lease, renewingFor duration: Duration) async throws(StoreError) -> Int?

    /// Records that the last attempt is known to have had no effect (a definite refusal, or a
    /// reconciliation that did not find it), so a takeover need not reconcile. False when
    /// `lease` is no longer current.
    func recordNoEffect(_ lease: Lease) async throws(StoreError) -> Bool

    /// Stores the final outcome (state `final`, the result event bytes). True when `lease` was
    /// current and the record is now final; false when not (taken over, or already final): the
    /// caller then re-reads the record and must not publish its own outcome.
    func complete(_ lease: Lease, outcome: StoredOutcome) async throws(StoreError) -> Bool

    /// The record under `key`, if any.
    func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord?

    /// Every record with this out_request_no, whatever its provider and merchant (for the HTTP
    /// `/requests/{out_request_no}` endpoint), oldest first.
    func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord]

    /// Deletes the final records last updated more than `retention` ago by the store's clock
    /// and returns how many. Records in progress are never purged, however old.
    func purge(retaining retention: Duration) async throws(StoreError) -> Int

    /// Releases the database connections. The store must not be used afterwards.
    func close() async
}
