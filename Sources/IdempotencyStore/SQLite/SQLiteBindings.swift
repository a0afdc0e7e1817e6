import GRDB
import GRDBSQLite

/// A statement's values bound through SQLite's C API, in place of GRDB's arguments.
///
/// GRDB's `StatementArguments` map every value through unspecialised generic code and copy
/// every text into a new C string: about twenty allocations per statement, a tenth of all a
/// command made. Here a text is bound from the String's own UTF-8 bytes and a blob from the
/// array's, both copied by SQLite (`SQLITE_TRANSIENT`) before the call returns.
enum SQLiteBindings {
    /// Resets `statement`, clears its bindings and binds `values` to `?1`, `?2`, … in order.
    static func bind(_ values: [SQLValue], to statement: Statement) throws {
        // GRDB's own arguments stay empty and count as bound, so its cursors run the
        // statement with the values bound here (reset keeps bindings; nothing clears them).
        statement.setUncheckedArguments(StatementArguments())
        let handle = statement.sqliteStatement
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let code: CInt
            switch value {
            case .integer(let integer):
                code = sqlite3_bind_int64(handle, index, integer)
            case .text(var text):
                code = text.withUTF8 { utf8 in
                    // An empty buffer may have no address, which SQLite would bind as NULL.
                    guard let base = utf8.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                    return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                        sqlite3_bind_text(handle, index, $0, CInt(utf8.count), transient)
                    }
                }
            case .bytes(let bytes):
                code = bytes.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return sqlite3_bind_zeroblob(handle, index, 0) }
                    return sqlite3_bind_blob(handle, index, base, CInt(raw.count), transient)
                }
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding value \(index)", sql: statement.sql)
            }
        }
    }

    /// SQLite copies the value before the bind call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
