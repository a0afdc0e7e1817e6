/// Why a store operation failed, in terms an operator can act on.
///
/// Messages never contain secrets: database URLs are shown with their password redacted.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The database cannot be reached or opened (connection refused, unknown host, a file that
    /// cannot be created, a closed store). The worker must stop taking work: calling a provider
    /// without a claim would give up exactly-once.
    case unreachable(String)
    /// The key is too long to store: an out_request_no over 128 characters, or a whole key over
    /// 256 UTF-8 bytes. The associated value is the offending length.
    case keyTooLong(Int)
    /// A value that cannot be stored as given (a NUL character, an empty out_request_no, a
    /// malformed location), or an operation on a record the caller does not hold.
    case invalidInput(String)
    /// The schema could not be created or upgraded, or the database has a newer schema than
    /// this build knows.
    case migrationFailed(String)
    /// A stored row does not decode (unknown state, provider or status): someone edited it by hand.
    case corrupted(String)
    /// The database refused or failed a statement.
    case query(String)

    public var description: String {
        switch self {
        case .unreachable(let message): "idempotency store unreachable: \(message)"
        case .keyTooLong(let length): "idempotency key too long (\(length))"
        case .invalidInput(let message): "invalid idempotency store input: \(message)"
        case .migrationFailed(let message): "idempotency store migration failed: \(message)"
        case .corrupted(let message): "corrupted idempotency record: \(message)"
        case .query(let message): "idempotency store query failed: \(message)"
        }
    }
}
