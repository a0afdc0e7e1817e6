/// A statement's SQL text, in the driver's placeholders, and the values bound to them, in
/// order: what a driver runs (a ``RecordStatement``'s text, or a migration's).
///
/// Values are always bound, never spliced into the SQL text: the text is a constant.
struct SQLStatement: Sendable {
    var sql: String
    var binds: [SQLValue]
}

/// A value bound to a placeholder, in the types both backends share.
enum SQLValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
}
