import PostgresNIO

/// Maps postgres-nio's errors to ``StoreError``, once, without leaking the password.
///
/// `PSQLError`'s own description is deliberately vague; the useful, secret-free parts are its
/// code, the server's SQLSTATE and message, and the underlying network error.
enum PostgresErrorMapping {
    static func map(_ error: any Error, location: PostgresLocation) -> StoreError {
        let mapped = unredacted(error, location: location)
        switch mapped {
        case .unreachable(let m): return .unreachable(location.redacting(m))
        case .keyTooLong: return mapped
        case .invalidInput(let m): return .invalidInput(location.redacting(m))
        case .migrationFailed(let m): return .migrationFailed(location.redacting(m))
        case .corrupted(let m): return .corrupted(location.redacting(m))
        case .query(let m): return .query(location.redacting(m))
        }
    }

    private static func unredacted(_ error: any Error, location: PostgresLocation) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        if let transaction = error as? PostgresTransactionError {
            // The first failure is the one that matters; the rollback's is a consequence.
            if let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError {
                return unredacted(cause, location: location)
            }
        }
        if let psql = error as? PSQLError {
            if psql.code == .server {
                let state = psql.serverInfo?[.sqlState] ?? "?????"
                let message = psql.serverInfo?[.message] ?? "no message"
                // Class 08: connection exceptions; 28: authorization; 3D000: no such database;
                // 57P: the server is shutting down or cannot accept connections.
                if state.hasPrefix("08") || state.hasPrefix("28") || state == "3D000" || state.hasPrefix("57P") {
                    return .unreachable("PostgreSQL at \(location): SQLSTATE \(state): \(message)")
                }
                return .query("PostgreSQL at \(location): SQLSTATE \(state): \(message)")
            }
            let underlying = psql.underlying.map { ": \($0)" } ?? ""
            return .unreachable("PostgreSQL at \(location): \(psql.code)\(underlying)")
        }
        if let decoding = error as? PostgresDecodingError {
            return .corrupted("PostgreSQL at \(location): column \(decoding.columnName) does not decode: \(decoding.code)")
        }
        if error is CancellationError {
            return .unreachable("PostgreSQL at \(location): cancelled")
        }
        // Connection pool errors (circuit breaker tripped, pool shut down) and NIO errors:
        // all mean the database cannot be used right now.
        return .unreachable("PostgreSQL at \(location): \(error)")
    }
}
