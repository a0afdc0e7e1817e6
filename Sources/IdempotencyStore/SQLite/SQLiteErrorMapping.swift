import SQLiteNIO

/// Maps sqlite-nio's errors to ``StoreError``, once.
enum SQLiteErrorMapping {
    static func map(_ error: any Error, path: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        guard let sqliteError = error as? SQLiteError else {
            return .unreachable("SQLite database at \(path): \(error)")
        }
        switch sqliteError.reason {
        case .cantOpen, .ioError, .permission, .readOnly, .full, .notADatabase, .auth, .noLFS:
            return .unreachable("SQLite database at \(path): \(sqliteError)")
        case .misuse:
            // What sqlite-nio reports for a statement on a closed connection.
            return .unreachable("SQLite database at \(path) is closed or misused: \(sqliteError)")
        case .corrupt, .format:
            return .corrupted("SQLite database at \(path): \(sqliteError)")
        default:
            return .query("SQLite database at \(path): \(sqliteError)")
        }
    }
}
