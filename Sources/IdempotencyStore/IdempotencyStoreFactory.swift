import Logging

/// Opens the store a configuration names, ready to use (migrated).
public enum IdempotencyStoreFactory {
    /// How long a store call may go without an answer before it counts as an unreachable store.
    public static let defaultCallDeadline: Duration = .seconds(10)

    /// Opens and migrates the store at `location`:
    /// - `sqlite:PATH` (e.g. `sqlite:/var/lib/coupon-worker/idempotency.sqlite`): ``SQLiteIdempotencyStore``;
    /// - `postgres://…` or `postgresql://…`: ``PostgresIdempotencyStore``.
    ///
    /// Throws ``StoreError/invalidInput(_:)`` for any other form, and closes what it opened
    /// when the migration fails.
    ///
    /// `clock` is the store's time (the database's clock; tests shift it to expire leases).
    /// `callDeadline`: a call without an answer by then throws ``StoreError/unreachable(_:)``.
    public static func open(
        _ location: String, clock: StoreClock = StoreClock(), callDeadline: Duration = defaultCallDeadline,
        logger: Logger
    ) async throws(StoreError) -> any IdempotencyStore {
        let store: any IdempotencyStore
        if location.hasPrefix("sqlite:") {
            store = try await SQLiteIdempotencyStore.open(
                path: String(location.dropFirst("sqlite:".count)), clock: clock, callDeadline: callDeadline, logger: logger)
        } else if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            store = try await PostgresIdempotencyStore.open(
                url: location, clock: clock, callDeadline: callDeadline, logger: logger)
        } else {
            throw .invalidInput(
                "idempotency store location must be sqlite:PATH or postgres://…, got \(PostgresLocation.redacted(location))")
        }
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
