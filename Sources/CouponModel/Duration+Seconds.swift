extension Duration {
    /// The duration in seconds, as a `Double` (metrics, rates, log lines): the project's one
    /// conversion out of `Duration`. Where NIO wants a `TimeAmount`, use NIO's
    /// `TimeAmount(_: Duration)` instead.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
