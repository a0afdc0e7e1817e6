/// How a claim is decided from what the database returned, the same for every backend.
///
/// A backend provides two statements: `upsert`, one atomic
/// `INSERT … ON CONFLICT DO UPDATE … WHERE <same fingerprint and: in progress with a lease
/// expired by the database's clock, or final and reopenable from another delivery>
/// RETURNING …` that returns the row only when it granted a lease (a new fencing token), with
/// the kind of grant; and `inspect`, a plain read of the row.
///
/// When the upsert returns nothing, the row existed and was not ours to take: the read tells
/// why. Between the two statements another worker may change the row; the only changes that
/// could make the read disagree with the upsert are a purge (the row is gone) or a record that
/// became reopenable in between. Both mean "try the upsert again", a bounded number of times;
/// everything else the read shows is a valid answer at the moment it was read.
enum ClaimResolution {
    /// Upsert attempts before settling for the last row read.
    static let maximumRounds = 4

    /// A lease the upsert granted, and how (`claim`, `takeover` or `reopen`).
    struct Grant {
        var kind: String?
        var record: IdempotencyRecord
    }

    static func resolve(
        _ request: ClaimRequest,
        upsert: () async throws(StoreError) -> Grant?,
        inspect: () async throws(StoreError) -> IdempotencyRecord?
    ) async throws(StoreError) -> ClaimOutcome {
        var lastSeen: IdempotencyRecord?
        for _ in 0..<maximumRounds {
            if let grant = try await upsert() {
                switch grant.kind {
                case "claim": return .claimed(grant.record)
                case "takeover": return .takenOver(grant.record)
                case "reopen": return .reopened(grant.record)
                default: throw .corrupted("\(request.key): granted with unknown kind \(grant.kind ?? "null")")
                }
            }
            guard let existing = try await inspect() else { continue }  // purged in between
            lastSeen = existing
            if existing.fingerprint != request.fingerprint { return .conflict(existing) }
            if existing.state == .inProgress { return .inProgress(existing) }
            if existing.reopenable && existing.source != request.source { continue }  // reopenable now: again
            return .alreadyFinal(existing)
        }
        if let lastSeen { return lastSeen.state == .final ? .alreadyFinal(lastSeen) : .inProgress(lastSeen) }
        throw .query("claim of \(request.key) did not settle: the record kept disappearing")
    }
}
