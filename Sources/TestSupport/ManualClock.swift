import Synchronization

/// A clock that moves only when the test moves it: a sleeper wakes exactly when ``advance(by:)``
/// reaches its deadline, never on its own, so time-based behaviour is tested without sleeping.
///
/// Two explicit events tell a test that something is waiting on it: ``sleeps(_:)`` (so many
/// sleeps have started, ever) and ``waitForSleepers(count:)`` (so many are asleep now); a test
/// waits for one, looks at what is waiting (``pendingSleeps``), then decides when time is up.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        /// Time since the clock was made.
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        /// Counts sleeps started ever (true) or sleepers asleep now (false).
        var cumulative: Bool
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var nextID = 0
        /// Sleeps that had to wait, ever.
        var started = 0
        var watchers: [Watcher] = []

        func reached(_ watcher: Watcher) -> Bool {
            watcher.count <= (watcher.cumulative ? started : sleepers.count)
        }

        mutating func takeReachedWatchers() -> [CheckedContinuation<Void, Never>] {
            let ready = watchers.filter(reached).map(\.continuation)
            watchers.removeAll(where: reached)
            return ready
        }
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// How many tasks are asleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, ready) = state.withLock { state -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    if Task.isCancelled { return (.failure(CancellationError()), []) }
                    if deadline <= state.now { return (.success(()), []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    state.started += 1
                    return (nil, state.takeReachedWatchers())
                }
                for watcher in ready { watcher.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the time on by `duration` and wakes every sleeper whose deadline it reached.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            defer { state.sleepers.removeAll { $0.deadline <= now } }
            return state.sleepers.filter { $0.deadline <= now }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once `count` sleeps in all have started waiting on this clock.
    public func sleeps(_ count: Int) async {
        await watch(cumulative: true, count: count)
    }

    /// Returns once at least `count` tasks are asleep on this clock at the same time.
    public func waitForSleepers(count: Int) async {
        await watch(cumulative: false, count: count)
    }

    private func watch(cumulative: Bool, count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = state.withLock { state -> Bool in
                let watcher = Watcher(cumulative: cumulative, count: count, continuation: continuation)
                if state.reached(watcher) { return true }
                state.watchers.append(watcher)
                return false
            }
            if reached { continuation.resume() }
        }
    }

    /// How long each sleeper still has to wait, soonest first.
    public var pendingSleeps: [Duration] {
        state.withLock { state in state.sleepers.map { state.now.duration(to: $0.deadline) }.sorted() }
    }
}
