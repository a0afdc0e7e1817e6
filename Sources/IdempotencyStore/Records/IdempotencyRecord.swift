import CouponModel
import Foundation

/// One idempotency record: what is known about a key's command, as stored.
///
/// Times are stored with millisecond precision, so a record read back equals the one written
/// when its dates were whole milliseconds.
public struct IdempotencyRecord: Sendable, Hashable {
    public var key: IdempotencyKey
    /// The fingerprint of the command that first claimed the key.
    public var fingerprint: CommandFingerprint
    public var state: RecordState
    /// Who holds the lease (in progress), or who stored the outcome (final).
    public var leaseOwner: String?
    /// Until when the lease holds; nil once final.
    public var leaseUntil: Date?
    /// Provider attempts counted with ``IdempotencyStore/recordAttempt(_:renewingFor:)``.
    public var attempts: Int
    /// The fencing token: incremented by every claim, takeover and reopening; the holder's
    /// ``Lease`` must carry it for any write to succeed.
    public var fence: Int64
    /// Whether the last counted attempt may have taken effect at the provider (it was sent
    /// and no definite answer says it did not). A takeover reconciles only then.
    public var inDoubt: Bool
    /// The delivery that holds (or, once final, produced) the record, as its claim named it.
    public var source: String?
    /// Final as `failed` with `retryable: true`: another delivery may execute it again.
    public var reopenable: Bool
    /// How many times an expired lease was taken over: an earlier attempt may have taken effect.
    public var takeovers: Int
    /// The published result's status, once final.
    public var resultStatus: ResultStatus?
    /// The published `ResultEvent` JSON, once final: replayed as is for duplicates.
    public var resultEvent: [UInt8]?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        key: IdempotencyKey, fingerprint: CommandFingerprint, state: RecordState, leaseOwner: String?,
        leaseUntil: Date?, attempts: Int, takeovers: Int, resultStatus: ResultStatus?, resultEvent: [UInt8]?,
        createdAt: Date, updatedAt: Date, fence: Int64 = 0, inDoubt: Bool = false, source: String? = nil,
        reopenable: Bool = false
    ) {
        self.key = key
        self.fingerprint = fingerprint
        self.state = state
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.attempts = attempts
        self.takeovers = takeovers
        self.resultStatus = resultStatus
        self.resultEvent = resultEvent
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.fence = fence
        self.inDoubt = inDoubt
        self.source = source
        self.reopenable = reopenable
    }
}
