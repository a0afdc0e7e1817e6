import CouponModel

/// The right to act for a key, granted by one claim, takeover or reopening.
///
/// `token` is the record's fencing token at the moment of the grant. Every grant increments
/// the token, and every later write of the holder (counting an attempt, renewing the lease,
/// storing the outcome) succeeds only while the record still carries this token. So a holder
/// that paused, lost its lease or was taken over (even by another task of the same process)
/// is refused before it can send anything, however late it wakes up.
public struct Lease: Sendable, Hashable, CustomStringConvertible {
    public var key: IdempotencyKey
    /// The fencing token: the record's `fence` when this lease was granted.
    public var token: Int64

    public init(key: IdempotencyKey, token: Int64) {
        self.key = key
        self.token = token
    }

    public var description: String { "\(key)#\(token)" }
}
