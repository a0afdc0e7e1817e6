import GRDB

/// Maps GRDB's errors to ``StoreError``, once.
///
/// GRDB's `DatabaseError` describes the SQLite result code, its message and the statement's
/// SQL text, never the bound values (`publicStatementArguments` stays off): no secret leaks.
enum SQLiteErrorMapping {
    static func map(_ error: any Error, path: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        guard let sqliteError = error as? DatabaseError else {
            return .unreachable("SQLite database at \(path): \(error)")
        }
        switch sqliteError.resultCode {
        case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_NOTADB,
            .SQLITE_AUTH, .SQLITE_NOLFS:
            return .unreachable("SQLite database at \(path): \(sqliteError)")
        case .SQLITE_MISUSE:
            // What SQLite reports for a statement on a closed connection.
            return .unreachable("SQLite database at \(path) is closed or misused: \(sqliteError)")
        case .SQLITE_CORRUPT, .SQLITE_FORMAT:
            return .corrupted("SQLite database at \(path): \(sqliteError)")
        default:
            return .query("SQLite database at \(path): \(sqliteError)")
        }
    }
}
