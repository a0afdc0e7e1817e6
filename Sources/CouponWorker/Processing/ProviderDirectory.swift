import CouponModel

/// The provider clients the worker can call, by provider and merchant profile, each with
/// the rate limiter of that provider+merchant.
public struct ProviderDirectory: Sendable {
    /// One merchant profile of one provider.
    public struct Route: Sendable {
        public var merchant: String
        public var client: any CouponProviderClient
        public var limiter: TokenBucket<ContinuousClock>

        public init(merchant: String, client: any CouponProviderClient, limiter: TokenBucket<ContinuousClock>) {
            self.merchant = merchant
            self.client = client
            self.limiter = limiter
        }
    }

    private var routes: [ProviderName: [String: Route]] = [:]

    public init(_ routes: [ProviderName: [Route]] = [:]) {
        for (provider, list) in routes {
            for route in list { self.routes[provider, default: [:]][route.merchant] = route }
        }
    }

    /// Adds or replaces the route of `route.merchant` for `provider`.
    public mutating func add(_ route: Route, for provider: ProviderName) {
        routes[provider, default: [:]][route.merchant] = route
    }

    /// The route for a command's merchant; a command without one gets the only profile,
    /// if exactly one is configured.
    public func route(provider: ProviderName, merchant: String?) -> Route? {
        guard let profiles = routes[provider] else { return nil }
        if let merchant { return profiles[merchant] }
        return profiles.count == 1 ? profiles.first?.value : nil
    }

    /// The longest one attempt can take on any route: a lease must outlast it.
    public var worstCaseAttempt: Duration {
        routes.values.flatMap(\.values).map(\.client.worstCaseAttempt).max() ?? .zero
    }

    /// The configured merchant ids of `provider`.
    public func merchants(of provider: ProviderName) -> [String] {
        routes[provider].map { Array($0.keys).sorted() } ?? []
    }
}
