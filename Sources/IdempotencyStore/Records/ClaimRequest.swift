import CouponModel
import Foundation

/// A worker's request to own the execution of a command under its idempotency key.
public struct ClaimRequest: Sendable, Hashable {
    public var key: IdempotencyKey
    /// The fingerprint of the command: the same key with another fingerprint is a conflict.
    public var fingerprint: CommandFingerprint
    /// Who is claiming (a worker instance id): stored for operators, never used to decide.
    /// The fencing token of the granted ``Lease`` is what identifies the holder.
    public var owner: String
    /// How long the lease holds, by the store's clock, before another claimer may take over.
    public var leaseDuration: Duration
    /// The delivery that claims (e.g. `topic/partition/offset`). A `failed` outcome with
    /// `retryable: true` is reopened by a claim from another delivery, and replayed to a
    /// redelivery of the one that produced it.
    public var source: String

    public init(
        key: IdempotencyKey, fingerprint: CommandFingerprint, owner: String, leaseDuration: Duration, source: String
    ) {
        self.key = key
        self.fingerprint = fingerprint
        self.owner = owner
        self.leaseDuration = leaseDuration
        self.source = source
    }
}
