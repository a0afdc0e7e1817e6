import Foundation
import Logging
import PostgresNIO

/// The real PostgreSQL server the tests use, named by `COUPON_TEST_POSTGRES_URL`
/// (`eval "$(bash .ci/postgres.sh)"` starts a throwaway one and exports it).
///
/// A test that needs PostgreSQL FAILS with ``PostgresFixtureError/missingURL`` when the
/// variable is not set: a missing database must never pass as a green run.
public enum PostgresFixture {
    /// The environment variable holding the server's URL.
    public static let urlVariable = "COUPON_TEST_POSTGRES_URL"

    /// The server URL from the environment, or a thrown error that says how to get one.
    public static func serverURL() throws(PostgresFixtureError) -> String {
        guard let url = ProcessInfo.processInfo.environment[urlVariable], !url.isEmpty else {
            throw .missingURL
        }
        return url
    }

    /// A URL of a database that belongs to this test process alone, created on first use on
    /// the server at ``serverURL()``.
    ///
    /// Separate runs (and separate test targets, which run as separate processes) then never
    /// see each other's rows, whatever they leave behind; tests within a run share it and keep
    /// apart by using keys of their own.
    public static func databaseURL() async throws -> String {
        let server = try serverURL()
        guard var components = URLComponents(string: server), let host = components.host else {
            throw PostgresFixtureError.malformedURL(server)
        }
        try await DatabaseCreation.shared.ensureCreated(host: host, components: components)
        components.path = "/" + databaseName
        guard let url = components.string else { throw PostgresFixtureError.malformedURL(server) }
        return url
    }

    /// `coupon_test_<pid>_<random>`: unique per process, and a valid identifier as is.
    public static let databaseName: String = {
        let random = UUID().uuidString.prefix(8).lowercased()
        return "coupon_test_\(ProcessInfo.processInfo.processIdentifier)_\(random)"
    }()

    /// Creates the database once per process. PostgreSQL refuses concurrent `CREATE DATABASE`
    /// from the same template, so every caller awaits the one creation.
    private actor DatabaseCreation {
        static let shared = DatabaseCreation()
        private var creation: Task<Void, any Error>?

        func ensureCreated(host: String, components: URLComponents) async throws {
            if let creation { return try await creation.value }
            let creation = Task { try await PostgresFixture.createDatabase(host: host, components: components) }
            self.creation = creation
            try await creation.value
        }
    }

    /// A connection's configuration for the database a URL names (`postgres` when none).
    static func configuration(host: String, components: URLComponents) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password,
            database: components.path.count > 1 ? String(components.path.dropFirst()) : "postgres", tls: .disable
        )
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    fileprivate static func createDatabase(host: String, components: URLComponents) async throws {
        let configuration = configuration(host: host, components: components)
        let logger = Logger(label: "PostgresFixture")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw PostgresFixtureError.cannotCreateDatabase("connecting: \(String(reflecting: error))")
        }
        do {
            // An identifier cannot be a bound parameter; the name is ours and alphanumeric.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(databaseName)"), logger: logger)
        } catch {
            try? await connection.close()
            throw PostgresFixtureError.cannotCreateDatabase(String(reflecting: error))
        }
        try await connection.close()
    }
}

/// Why the PostgreSQL fixture cannot give a database.
public enum PostgresFixtureError: Error, CustomStringConvertible {
    case missingURL
    case malformedURL(String)
    case cannotCreateDatabase(String)

    public var description: String {
        switch self {
        case .missingURL:
            "\(PostgresFixture.urlVariable) is not set: these tests need a real PostgreSQL. "
                + "Run `eval \"$(bash .ci/postgres.sh)\"` first (it starts a throwaway cluster on 127.0.0.1)."
        case .malformedURL(let url):
            "\(PostgresFixture.urlVariable) is not a postgres:// URL (\(url.count) characters; not shown, it may hold a password)"
        case .cannotCreateDatabase(let reason):
            "cannot create the test database \(PostgresFixture.databaseName) on \(PostgresFixture.urlVariable): \(reason)"
        }
    }
}
