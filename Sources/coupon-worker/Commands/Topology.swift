/// The default topic names (architecture.md, "Topics").
enum Topology {
    static let issue = "coupon.commands.issue"
    static let query = "coupon.commands.query"
    static let results = "coupon.results"
    static let deadLetters = "coupon.commands.dlq"
    static let defaultTopics = [issue, query, results, deadLetters]
}
