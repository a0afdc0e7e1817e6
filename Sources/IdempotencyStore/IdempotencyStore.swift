import CouponModel
import Foundation

/// The guard that makes every command take effect once per idempotency key
/// (provider + merchant + out_request_no), whatever crashes, redeliveries or duplicates happen.
///
/// A record goes through two states: `in_progress` under a lease held by one worker, then
/// `final` with the result event that was published for it. Every operation that changes a
/// record is a single atomic statement in the backing database, so many workers (tasks,
/// processes, machines) can share one store: exactly one of them wins a claim or a takeover.
///
/// Implementations: ``SQLiteIdempotencyStore`` (embedded default, one file) and
/// ``PostgresIdempotencyStore`` (shared by many instances). ``IdempotencyStoreFactory`` picks
/// one from a location string. Every failure is a typed ``StoreError``; a store never crashes
/// the process on bad input or an unreachable database.
public protocol IdempotencyStore: Sendable {
    /// Creates or migrates the schema, recording the applied version in a version table.
    /// Idempotent, and safe when several instances migrate at the same time.
    func migrate() async throws(StoreError)

    /// Atomic insert-or-inspect: creates an in-progress record leased to `request.owner`, or
    /// tells what already exists under the key (see ``ClaimOutcome``). An expired lease with the
    /// same fingerprint is taken over by exactly one of any number of concurrent claimers.
    func claim(_ request: ClaimRequest) async throws(StoreError) -> ClaimOutcome

    /// Pushes the lease of an in-progress record held by `owner` to `until`.
    /// Returns false when `owner` no longer holds it (taken over, completed or purged).
    func extendLease(key: IdempotencyKey, owner: String, until: Date) async throws(StoreError) -> Bool

    /// Counts one provider attempt on an in-progress record held by `owner` and renews its lease
    /// to `leaseUntil`, in one statement (it runs before every provider call, so it is on the
    /// hot path). Returns the new count, or nil when `owner` no longer holds the record: the
    /// caller lost its lease and must not call the provider.
    func recordAttempt(key: IdempotencyKey, owner: String, leaseUntil: Date) async throws(StoreError) -> Int?

    /// Stores the final outcome (state `final`, the result event bytes). True when `owner` held
    /// the in-progress record and it is now final; false when not (someone took over, or it was
    /// already final): the caller then re-reads the record.
    func complete(key: IdempotencyKey, owner: String, outcome: StoredOutcome) async throws(StoreError) -> Bool

    /// The record under `key`, if any.
    func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord?

    /// Every record with this out_request_no, whatever its provider and merchant (for the HTTP
    /// `/requests/{out_request_no}` endpoint), oldest first.
    func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord]

    /// Deletes the records last updated before `cutoff` (the retention) and returns how many.
    func purge(olderThan cutoff: Date) async throws(StoreError) -> Int

    /// Releases the database connections. The store must not be used afterwards.
    func close() async
}
