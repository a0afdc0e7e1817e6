import Foundation
import Logging
import GRDB
import PostgresNIO
import TestSupport

/// Plain SQL on a store's database, past the store: to build an old schema by hand and to
/// look at what the store cannot show (the schema version). One connection, closed afterwards.
enum RawDatabase {
    case sqlite(DatabaseQueue)
    case postgres(PostgresConnection)

    /// Runs `body` with a connection to the database at `location` (`sqlite:PATH` or `postgres://…`).
    static func with<T>(location: String, _ body: (RawDatabase) async throws -> T) async throws -> T {
        let database: RawDatabase
        if location.hasPrefix("sqlite:") {
            database = .sqlite(try DatabaseQueue(path: String(location.dropFirst("sqlite:".count))))
        } else {
            database = .postgres(try await connectPostgres(url: location))
        }
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    /// The dialect's byte-string type, as the schema uses it.
    var binaryType: String {
        switch self {
        case .sqlite: "BLOB"
        case .postgres: "BYTEA"
        }
    }

    /// The database's clock in Unix milliseconds (the store's clock at offset zero).
    var nowMilliseconds: String {
        switch self {
        case .sqlite: "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
        case .postgres: "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)"
        }
    }

    /// Runs one statement that returns no rows the caller needs.
    func execute(_ sql: String) async throws {
        switch self {
        case .sqlite(let connection):
            try await connection.writeWithoutTransaction { try $0.execute(sql: sql) }
        case .postgres(let connection):
            for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: testLogger) {}
        }
    }

    /// Runs one statement and returns its first column as integers, one per row.
    func integers(_ sql: String) async throws -> [Int64] {
        switch self {
        case .sqlite(let connection):
            return try await connection.writeWithoutTransaction { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    guard row.count > 0, case .int64(let value) = (row[0] as DatabaseValue).storage else {
                        throw RawDatabaseError.notAnInteger(sql)
                    }
                    return value
                }
            }
        case .postgres(let connection):
            var values: [Int64] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: testLogger) {
                values.append(try row.makeRandomAccess()[0].decode(Int64.self))
            }
            return values
        }
    }

    func close() async {
        switch self {
        case .sqlite(let connection): try? connection.close()
        case .postgres(let connection): try? await connection.close()
        }
    }

    /// Runs `body` with the URL of a PostgreSQL database created for it on the server at
    /// `COUPON_TEST_POSTGRES_URL`, and drops the database afterwards (with the connections the
    /// stores may have left in their pools).
    static func withPrivatePostgresDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        let server = try PostgresFixture.serverURL()
        guard var components = URLComponents(string: server) else { throw RawDatabaseError.malformedURL }
        // Ours and alphanumeric: an identifier cannot be a bound parameter.
        let name = "coupon_store_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let admin = try await connectPostgres(url: server)
        do {
            try await RawDatabase.postgres(admin).execute("CREATE DATABASE \(name)")
        } catch {
            try? await admin.close()
            throw error
        }
        components.path = "/" + name
        guard let url = components.string else {
            try? await admin.close()
            throw RawDatabaseError.malformedURL
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(url))
        } catch {
            result = .failure(error)
        }
        try? await RawDatabase.postgres(admin).execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try? await admin.close()
        return try result.get()
    }

    private static func connectPostgres(url: String) async throws -> PostgresConnection {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw RawDatabaseError.malformedURL
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password,
            database: components.path.count > 1 ? String(components.path.dropFirst()) : nil, tls: .disable
        )
        configuration.options.connectTimeout = .seconds(10)
        return try await PostgresConnection.connect(configuration: configuration, id: 2, logger: testLogger)
    }
}

enum RawDatabaseError: Error, CustomStringConvertible {
    case malformedURL
    case notAnInteger(String)

    var description: String {
        switch self {
        case .malformedURL: "the PostgreSQL URL does not parse (not shown: it may hold a password)"
        case .notAnInteger(let sql): "expected an integer from: \(sql)"
        }
    }
}
