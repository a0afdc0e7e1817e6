/// What a claim found or did. Each case carries the record as it is after the claim.
public enum ClaimOutcome: Sendable, Hashable {
    /// A new record: the claimer holds the lease and may execute the command.
    case claimed(IdempotencyRecord)
    /// Same fingerprint, already final: replay its stored result; do not execute again.
    case alreadyFinal(IdempotencyRecord)
    /// Same fingerprint, in progress under a live lease held by someone (possibly another
    /// delivery in the claimer's own process): wait and retry; never execute twice at once.
    case inProgress(IdempotencyRecord)
    /// Same fingerprint, the lease had expired by the store's clock: the claimer now holds it
    /// (`takeovers` counted, a new fencing token). When `inDoubt`, an earlier attempt may have
    /// taken effect: reconcile before executing again.
    case takenOver(IdempotencyRecord)
    /// Same fingerprint, final as `failed` with `retryable: true` from another delivery: the
    /// key is open again and the claimer holds it (a new fencing token). When `inDoubt`, the
    /// earlier attempt may have taken effect: reconcile before executing again.
    case reopened(IdempotencyRecord)
    /// A different fingerprint under the same key, whatever the record's state: reject.
    case conflict(IdempotencyRecord)

    /// The record in every case.
    public var record: IdempotencyRecord {
        switch self {
        case .claimed(let r), .alreadyFinal(let r), .inProgress(let r), .takenOver(let r), .reopened(let r),
            .conflict(let r):
            r
        }
    }

    /// The lease the claimer now holds, when the claim granted one.
    public var lease: Lease? {
        switch self {
        case .claimed(let r), .takenOver(let r), .reopened(let r): Lease(key: r.key, token: r.fence)
        case .alreadyFinal, .inProgress, .conflict: nil
        }
    }
}
