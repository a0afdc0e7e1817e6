import Foundation
import Logging
import PostgresNIO

/// One plain connection to a test's PostgreSQL database, past the store: for what a test does
/// to the database itself (hold a lock, add a trigger, look at `pg_locks`).
public final class PostgresSession: Sendable {
    private let connection: PostgresConnection
    private let logger = Logger(label: "PostgresSession")

    private init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Connects to the database `url` names.
    public static func connect(url: String) async throws -> PostgresSession {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw PostgresFixtureError.malformedURL(url)
        }
        let configuration = PostgresFixture.configuration(host: host, components: components)
        return PostgresSession(
            connection: try await PostgresConnection.connect(configuration: configuration, id: 3, logger: Logger(label: "PostgresSession")))
    }

    /// Runs `sql` (one statement, no parameters; the test's own text) and drops its rows.
    public func execute(_ sql: String) async throws {
        for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {}
    }

    /// Runs `sql` and returns the first column of its first row as an integer.
    public func integer(_ sql: String) async throws -> Int64? {
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            return try row.makeRandomAccess()[0].decode(Int64.self)
        }
        return nil
    }

    public func close() async {
        try? await connection.close()
    }
}
