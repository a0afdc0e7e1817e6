import CouponModel
import IdempotencyStore

/// A valid command on its way through the guard: what it asks, which provider route serves
/// it, the idempotency key and fingerprint it is claimed under, and the record it came from.
struct CommandContext: Sendable {
    var command: CouponCommand
    var route: ProviderDirectory.Route
    var key: IdempotencyKey
    var fingerprint: CommandFingerprint
    var source: SourcePosition
}
