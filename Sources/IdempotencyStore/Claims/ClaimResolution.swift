/// How a claim is decided from what the database returned, the same for every backend.
///
/// A backend provides two statements: `upsert`, one atomic
/// `INSERT … ON CONFLICT DO UPDATE … WHERE <same fingerprint, in progress, lease expired>
/// RETURNING …` that returns the row only when it inserted it (a claim, `takeovers == 0`) or
/// took over its expired lease (`takeovers >= 1`); and `inspect`, a plain read of the row.
///
/// When the upsert returns nothing, the row existed and was not ours to take: the read tells
/// why. Between the two statements another worker may change the row; the only changes that
/// could make the read disagree with the upsert are a purge (the row is gone) or a lease moved
/// backwards (it looks expired now). Both mean "try the upsert again", a bounded number of
/// times; everything else the read shows is a valid answer at the moment it was read.
enum ClaimResolution {
    /// Upsert attempts before settling for the last row read as in progress.
    static let maximumRounds = 4

    static func resolve(
        _ request: ClaimRequest,
        upsert: () async throws(StoreError) -> IdempotencyRecord?,
        inspect: () async throws(StoreError) -> IdempotencyRecord?
    ) async throws(StoreError) -> ClaimOutcome {
        var lastSeen: IdempotencyRecord?
        for _ in 0..<maximumRounds {
            if let won = try await upsert() {
                return won.takeovers == 0 ? .claimed(won) : .takenOver(won)
            }
            guard let existing = try await inspect() else { continue }  // purged in between
            lastSeen = existing
            if existing.fingerprint != request.fingerprint { return .conflict(existing) }
            if existing.state == .final { return .alreadyFinal(existing) }
            if let until = existing.leaseUntil, until.epochMilliseconds >= request.now.epochMilliseconds {
                return .inProgress(existing)
            }
            // Looks expired at `now` although the upsert did not take it: it changed in between.
        }
        if let lastSeen { return .inProgress(lastSeen) }
        throw .query("claim of \(request.key) did not settle: the record kept disappearing")
    }
}
