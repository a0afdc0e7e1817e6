import CouponModel

/// One caller's statement waiting in a ``StatementBatcher``, with the place its own answer goes
/// to: a batch of many callers' statements still answers each one alone.
struct QueuedStatement: Sendable {
    /// What the caller reads from the rows.
    enum Shape: Sendable {
        /// ``StoredRow/columns``.
        case records
        /// The first column, as integers.
        case integers
    }

    /// A statement and the shape of its rows: what a driver runs.
    struct Work: Sendable {
        var statement: SQLStatement
        var shape: Shape
    }

    var work: Work
    var answer: CallAnswer<StatementRows>

    /// Runs `statement` through `batcher`: queues it, starts a writer with `startWriter` when
    /// the batcher asks for one, and waits for the answer the writer gives this statement, at
    /// most until its deadline (`what` names the database in the error).
    static func run(
        _ statement: SQLStatement, shape: Shape, in batcher: StatementBatcher<QueuedStatement>,
        deadlines: DeadlineQueue<ContinuousClock>, what: String, startWriter: () -> Void
    ) async throws(StoreError) -> StatementRows {
        let answer = CallAnswer<StatementRows>()
        if batcher.enqueue(QueuedStatement(work: Work(statement: statement, shape: shape), answer: answer)) {
            startWriter()
        }
        return try await answer.value(within: deadlines, what: what)
    }
}

/// A statement's rows, decoded in the shape its caller asked for.
enum StatementRows: Sendable {
    case records([StoredRow])
    case integers([Int64])

    var records: [StoredRow] {
        get throws(StoreError) {
            guard case .records(let rows) = self else { throw .corrupted("a statement's rows were read as records") }
            return rows
        }
    }

    var integers: [Int64] {
        get throws(StoreError) {
            guard case .integers(let values) = self else { throw .corrupted("a statement's rows were read as integers") }
            return values
        }
    }
}
