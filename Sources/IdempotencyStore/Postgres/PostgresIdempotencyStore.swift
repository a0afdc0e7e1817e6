import Foundation
import Logging

/// The shared idempotency store: PostgreSQL, for many worker instances on many machines.
///
/// Holds a connection pool (postgres-nio's `PostgresClient`) whose background `run()` it owns:
/// `close()` stops it. Opening checks that the server answers and accepts the credentials
/// (``StoreError/unreachable(_:)`` otherwise, with the password redacted); it does not
/// migrate: call ``IdempotencyStore/migrate()`` (``IdempotencyStoreFactory/open(_:clock:logger:)`` does).
public enum PostgresIdempotencyStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    ///
    /// - Parameters:
    ///   - callDeadline: a call without an answer by then throws ``StoreError/unreachable(_:)``
    ///     (a query on a connection that will never answer, after a database restart).
    ///   - maximumConnections: the pool's size; statements beyond it queue.
    public static func open(
        url: String, clock: StoreClock = StoreClock(),
        callDeadline: Duration = IdempotencyStoreFactory.defaultCallDeadline, logger: Logger,
        maximumConnections: Int = 20
    ) async throws(StoreError) -> any IdempotencyStore {
        let location = try PostgresLocation(url: url)
        guard maximumConnections > 0 else { throw .invalidInput("maximumConnections must be positive") }
        return IdempotencyTable(database: try await PostgresRecordDatabase(
            location: location, maximumConnections: maximumConnections, callDeadline: callDeadline, logger: logger),
            clock: clock)
    }
}
