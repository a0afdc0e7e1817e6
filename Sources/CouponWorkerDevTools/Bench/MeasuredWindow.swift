import Foundation
import Synchronization

/// The stretch of a throughput run that its figures describe: from the first result read to
/// the last. Samples the worker's process at both ends (and, with `--profile`, records it with
/// perf in between), called from the result reader for every result.
final class MeasuredWindow: Sendable {
    private struct State {
        var first: WorkerProcessSample?
        /// The wall-clock time of the first sample, to count the results produced after it.
        var firstAt: Date?
        var last: WorkerProcessSample?
        var profile: PerfProfile?
        var profileProblem: String?
    }

    private let worker: BenchWorker
    private let expected: Int
    private let profileName: String?
    private let folder: URL
    private let state = Mutex(State())

    /// `profileName`: record a profile under this name; `nil`: none.
    init(worker: BenchWorker, expected: Int, folder: URL, profileName: String?) {
        self.worker = worker
        self.expected = expected
        self.folder = folder
        self.profileName = profileName
    }

    /// The reader read its `count`th result.
    func resultRead(count: Int) {
        if count == 1 {
            let sample = worker.sample()
            var profile: PerfProfile?
            var problem: String?
            if let profileName {
                do {
                    profile = try PerfProfile.start(worker: worker.pid, folder: folder, name: profileName)
                } catch {
                    problem = "perf record could not start: \(error)"
                }
            }
            state.withLock {
                $0.first = sample
                $0.firstAt = Date()
                $0.profile = profile
                $0.profileProblem = problem
            }
        }
        if count == expected {
            let sample = worker.sample()
            let profile = state.withLock { state in
                state.last = sample
                return state.profile
            }
            profile?.interrupt()
        }
    }

    /// What the window measured, once the reader is done (or failed: then it stops perf).
    func finish(tally: ResultTally?) async -> WorkerUsage {
        let (state, profile) = self.state.withLock { ($0, $0.profile) }
        let entries = await profile?.topEntries() ?? state.profileProblem.map { [$0] }
        let between = state.firstAt.map { tally?.produced(since: $0) ?? 0 } ?? 0
        return WorkerUsage(first: state.first, last: state.last, commandsBetween: between, profile: entries)
    }
}

/// The worker process's CPU and memory over a measured window.
struct WorkerUsage: Sendable {
    /// When the first result was read, and when the last was.
    var first: WorkerProcessSample?
    var last: WorkerProcessSample?
    /// Results the worker produced between the two samples.
    var commandsBetween: Int
    /// perf's top entries by self time (`--profile`), or why there are none.
    var profile: [String]?

    /// Worker CPU seconds per command over the window.
    var cpuPerCommand: Double? {
        guard let first, let last, commandsBetween > 0 else { return nil }
        return (last.cpuSeconds - first.cpuSeconds) / Double(commandsBetween)
    }

    /// The worker's peak resident set (VmHWM) at the last result: since it started, i.e.
    /// over this run, as every run starts a worker of its own.
    var peakResidentBytes: Double? { last?.peakResidentBytes }

    /// Worker CPU ÷ wall time over the window: how many cores it kept busy.
    var cores: Double? {
        guard let first, let last else { return nil }
        let wall = first.takenAt.duration(to: last.takenAt).seconds
        return wall > 0 ? (last.cpuSeconds - first.cpuSeconds) / wall : nil
    }
}
