/// What a claim found or did. Each case carries the record as it is after the claim.
public enum ClaimOutcome: Sendable, Hashable {
    /// A new record: the claimer holds the lease and may execute the command.
    case claimed(IdempotencyRecord)
    /// Same fingerprint, already final: replay its stored result; do not execute again.
    case alreadyFinal(IdempotencyRecord)
    /// Same fingerprint, in progress under a live lease held by someone (possibly the claimer
    /// itself): wait and retry; never execute twice at once.
    case inProgress(IdempotencyRecord)
    /// Same fingerprint, the lease had expired: the claimer now holds it (`takeovers` counted).
    /// The earlier attempt may have taken effect: reconcile before executing again.
    case takenOver(IdempotencyRecord)
    /// A different fingerprint under the same key, whatever the record's state: reject.
    case conflict(IdempotencyRecord)

    /// The record in every case.
    public var record: IdempotencyRecord {
        switch self {
        case .claimed(let r), .alreadyFinal(let r), .inProgress(let r), .takenOver(let r), .conflict(let r): r
        }
    }
}
