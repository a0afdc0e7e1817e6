import CouponModel
import Foundation

/// A worker's request to own the execution of a command under its idempotency key.
public struct ClaimRequest: Sendable, Hashable {
    public var key: IdempotencyKey
    /// The fingerprint of the command: the same key with another fingerprint is a conflict.
    public var fingerprint: CommandFingerprint
    /// Who is claiming (a stable worker instance id): the lease holder if the claim wins.
    public var owner: String
    /// How long the lease holds from `now` before another worker may take over.
    public var leaseDuration: Duration
    /// The claimer's clock. Leases are compared against it, which keeps the store free of
    /// clock reads and lets tests expire leases without waiting.
    public var now: Date

    public init(key: IdempotencyKey, fingerprint: CommandFingerprint, owner: String, leaseDuration: Duration, now: Date) {
        self.key = key
        self.fingerprint = fingerprint
        self.owner = owner
        self.leaseDuration = leaseDuration
        self.now = now
    }

    /// When the lease of a successful claim ends.
    public var leaseUntil: Date {
        let (seconds, attoseconds) = leaseDuration.components
        return now.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
