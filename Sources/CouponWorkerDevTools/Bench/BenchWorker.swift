import CouponWorkerRuntime
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One worker in its own process, the way it is deployed: this executable run as
/// `coupon-worker run --config FILE`, pointed at the bench's cluster, sandboxes and topics.
///
/// The config file is written to the stage's folder and says everything a scenario sets;
/// the child's environment carries no `COUPON_*` or `OTEL_*` variable, so nothing overrides
/// it. Its standard output and error go to a log file next to it, whose tail a failure shows.
/// The child is stopped with SIGTERM and reaped (`stop()`) on every path; a bench stopped by
/// SIGINT/SIGTERM kills whatever child is still running (`killAll()`).
final class BenchWorker: Sendable {
    /// The knobs a scenario turns; everything else is `run`'s default.
    struct Shape: Sendable {
        var maxInFlight = 256
        /// `worker.partition_buffer`: commands in flight per partition before it is paused.
        var partitionBuffer = 512
        var providers: Set<Provider> = [.zvcms]
        /// The worker consumer's `fetch.wait.max.ms` (see `BenchStage.consumerProperties`).
        var fetchWaitMilliseconds = BenchStage.defaultFetchWaitMilliseconds

        enum Provider: String, Sendable { case zvcms, wechat }
    }

    /// The child's process id: what `/proc/<pid>` and `perf -p` read.
    let pid: Int32
    /// Where the child's standard output and error go.
    let logFile: URL
    private let exit: ProcessExit
    /// Kept so the child is not released while it runs; everything after `run()` goes
    /// through `pid` and `exit`.
    private let process: Process

    /// Children started and not yet reaped, for `killAll()`.
    private static let running = Mutex<Set<Int32>>([])

    private init(pid: Int32, logFile: URL, exit: ProcessExit, process: Process) {
        self.pid = pid
        self.logFile = logFile
        self.exit = exit
        self.process = process
    }

    /// The settings of a worker that reads `topics`, calls the stage's sandboxes and stores
    /// in a fresh SQLite file: what `start` writes as the child's config file.
    static func settings(on stage: BenchStage, topics: BenchStage.Topics, shape: Shape) -> WorkerSettings {
        var settings = WorkerSettings()
        settings.kafka.brokers = stage.bootstrapServers
        settings.kafka.group = BenchStage.uniqueName("workers")
        settings.kafka.consumerProperties = BenchStage.consumerProperties(fetchWaitMilliseconds: shape.fetchWaitMilliseconds)
        settings.topics = .init(issue: topics.issue, query: topics.query, results: topics.results, dlq: topics.deadLetters)
        settings.store = "sqlite:\(stage.sqlitePath("worker"))"
        // Any free port, on loopback only: the bench does not use the side port.
        settings.http.host = "127.0.0.1"
        settings.http.port = 0
        settings.worker.maxInFlight = shape.maxInFlight
        settings.worker.partitionBuffer = shape.partitionBuffer
        settings.worker.leaseSeconds = 60
        settings.log.level = "warning"
        // Rate limits must not cap a benchmark: it measures the worker, not the limiter.
        settings.useSandboxes(
            stage.sandboxes, wechat: shape.providers.contains(.wechat), zvcms: shape.providers.contains(.zvcms),
            ratePerSecond: 1_000_000)
        return settings
    }

    /// `settings` as a config file of `coupon-worker run` (`WorkerSettings.load` reads it).
    static func configFile(_ settings: WorkerSettings) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(settings)
    }

    /// Writes the config file and starts the child. It runs until `stop()`.
    static func start(on stage: BenchStage, topics: BenchStage.Topics, shape: Shape) throws -> BenchWorker {
        let name = BenchStage.uniqueName("worker")
        let config = stage.folder.appendingPathComponent("\(name).json")
        let logFile = stage.folder.appendingPathComponent("\(name).log")
        try configFile(settings(on: stage, topics: topics, shape: shape)).write(to: config)
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil),
            let log = FileHandle(forWritingAtPath: logFile.path)
        else { throw BenchFailure.tool("cannot create \(logFile.path)") }
        defer { try? log.close() }

        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["run", "--config", config.path]
        process.environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("COUPON_") && !$0.key.hasPrefix("OTEL_")
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        let exit = ProcessExit()
        process.terminationHandler = { exit.finish($0.terminationStatus) }
        try running.withLock { running in
            try process.run()
            running.insert(process.processIdentifier)
        }
        return BenchWorker(pid: process.processIdentifier, logFile: logFile, exit: exit, process: process)
    }

    /// This executable (`/proc/self/exe`): the worker is the same build as the bench.
    private static func executable() throws -> URL {
        do {
            return URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        } catch {
            throw BenchFailure.tool("cannot find this executable (/proc/self/exe): \(error)")
        }
    }

    /// The child's CPU and memory now; `nil` once it has ended.
    func sample() -> WorkerProcessSample? {
        exit.status == nil ? WorkerProcessSample.take(pid: pid) : nil
    }

    /// Returns when the child ends on its own (its status), or `nil` when the waiting task
    /// is cancelled first.
    func exited() async -> Int32? {
        await exit.wait()
    }

    /// Runs `body` (reading the worker's results) while watching the child: when the child
    /// ends first, throws `BenchFailure.workerExited` with the tail of its log instead of
    /// letting `body` wait for results that cannot come.
    func watching<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                // `nil`: cancelled because `body` is done.
                guard let status = await self.exited() else { return nil }
                throw self.endedEarly(status: status)
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            throw CancellationError()
        }
    }

    /// Why a run failed when the child ended before it was stopped: its status and the last
    /// lines it wrote.
    func endedEarly(status: Int32) -> BenchFailure {
        .workerExited(status: status, logTail: logTail())
    }

    /// The last `lines` lines of the child's log.
    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGTERM, then waits for the child to drain, commit and exit and be reaped; SIGKILL
    /// after `grace`. Returns the exit status. Safe to call when it has ended already.
    @discardableResult
    func stop(grace: Duration = .seconds(60)) async -> Int32 {
        if exit.status == nil { kill(pid, SIGTERM) }
        let final: Int32
        if let status = await exit.wait(atMost: grace) {
            final = status
        } else {
            kill(pid, SIGKILL)
            final = await exit.wait() ?? -1
        }
        _ = Self.running.withLock { $0.remove(pid) }
        return final
    }

    /// SIGKILL to every child not reaped yet: for a bench that is itself stopped by a signal.
    /// Not SIGTERM: the broker lives in the bench's process and ends with it, so a child
    /// could neither drain nor commit, and would wait out its whole shutdown bound.
    static func killAll() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
