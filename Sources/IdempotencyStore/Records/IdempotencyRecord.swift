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
    /// Provider attempts counted with ``IdempotencyStore/recordAttempt(key:owner:leaseUntil:)``.
    public var attempts: Int
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
        createdAt: Date, updatedAt: Date
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
    }
}
