/// What the pipeline needs from a provider, for one merchant profile.
///
/// Provider modules (`WeChatPay`, `Zvcms`) implement this over their typed clients; the
/// pipeline never sees wire details. Implementations do one attempt per call: retries,
/// backoff and rate limits belong to the pipeline.
public protocol CouponProviderClient: Sendable {
    /// Executes `command` once and returns the provider's answer as result `data`.
    /// Every failure is a `ProviderFailure`; a secret never appears in one.
    func execute(_ command: CouponCommand) async throws(ProviderFailure) -> JSONValue

    /// After a lease takeover on an issue whose earlier attempt may have taken effect:
    /// looks for that effect at the provider.
    func reconcile(_ command: CouponCommand) async throws(ProviderFailure) -> Reconciliation

    /// The longest one `execute` can take before it returns: every host it may try, every
    /// re-signing and any key download on the way, each bounded by the client's timeout.
    /// A claim's lease must outlast it, so that no other worker can take a key over while a
    /// request for it may still be on its way (the worker refuses a configuration that
    /// cannot guarantee this).
    var worstCaseAttempt: Duration { get }
}

/// What a reconciliation found.
public enum Reconciliation: Sendable, Hashable {
    /// The earlier attempt took effect; this is its result `data`.
    case found(JSONValue)
    /// The provider shows no effect: sending again with the same body is safe.
    case notFound
    /// The provider offers no way to tell (zvcms): the outcome stays `unknown`.
    case unknowable
}
