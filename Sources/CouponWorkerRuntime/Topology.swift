/// The default topic names (architecture.md, "Topics"): what `run` uses when `topics.*` is
/// not set, and what `demo` and `dev-kafka` create.
public enum Topology {
    public static let issue = "coupon.commands.issue"
    public static let query = "coupon.commands.query"
    public static let results = "coupon.results"
    public static let deadLetters = "coupon.commands.dlq"
    /// All four, in the order above.
    public static let defaultTopics = [issue, query, results, deadLetters]
}
