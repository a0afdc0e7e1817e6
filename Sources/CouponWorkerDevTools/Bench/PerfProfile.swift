import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `bench --profile`: `perf record -F 499 -g -a` over a scenario's measured window, then the
/// worker's top entries of `perf report --stdio --no-children --sort symbol --pid <worker>`
/// (self time, relative to the worker's samples). This is where the README's "profile's top
/// entries for each missed goal" come from.
///
/// All CPUs, filtered to the worker when reporting, rather than `perf record -p <pid>`:
/// perf 6.1 attached with `-p` to the worker sometimes busy-polled at 30–70 % of a core
/// ("Woken up 91914 times") while the worker's threads came and went, and then did not
/// finish after SIGINT, which distorted the very run it profiled.
///
/// Started when the first result is read and interrupted (SIGINT, which makes perf write its
/// data and exit) when the last is, so start-up and drain stay out, as in the figures.
final class PerfProfile: Sendable {
    /// perf's own process.
    private let pid: Int32
    private let exit: ProcessExit
    /// The worker's process, whose samples the report keeps.
    private let worker: Int32
    private let data: URL
    private let folder: URL

    /// How many entries the report keeps.
    static let entries = 15
    /// How long perf may take to write its data after SIGINT.
    static let finishGrace = Duration.seconds(30)

    private init(pid: Int32, exit: ProcessExit, worker: Int32, data: URL, folder: URL) {
        self.pid = pid
        self.exit = exit
        self.worker = worker
        self.data = data
        self.folder = folder
    }

    /// The recording command, without its output file.
    private static let record = ["perf", "record", "-F", "499", "-g", "-a"]

    /// Why `perf` cannot profile here, or `nil` when it can: a short recording of all CPUs
    /// must succeed (it cannot without perf, or where `perf_event_paranoid` forbids it for
    /// this user: system-wide needs 0 or less, or CAP_PERFMON).
    static func unavailableReason() async -> String? {
        let paranoid = (try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unreadable"
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("coupon-worker-bench-perf-probe-\(getpid()).data")
        defer { try? FileManager.default.removeItem(at: probe) }
        let status = await ToolProcess(record + ["-o", probe.path, "--", "true"]).run()
        guard status == 0 else {
            return "`\(record.joined(separator: " ")) -- true` exited with status \(status) (perf missing, or perf_event_paranoid = \(paranoid) forbids it for this user)"
        }
        return nil
    }

    /// perf processes not reaped yet, for `killAll()`.
    private static let running = Mutex<Set<Int32>>([])

    /// Starts recording, for the worker process `worker`, into a file in `folder`.
    static func start(worker: Int32, folder: URL, name: String) throws -> PerfProfile {
        let data = folder.appendingPathComponent("\(name).perf.data")
        let started = try running.withLock { running in
            let started = try ToolProcess(record + ["-o", data.path]).start()
            running.insert(started.pid)
            return started
        }
        return PerfProfile(pid: started.pid, exit: started.exit, worker: worker, data: data, folder: folder)
    }

    /// SIGKILL to every perf still running: for a bench that is itself stopped by a signal.
    static func killAll() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }

    /// Tells perf to stop (SIGINT): it writes its data and exits.
    func interrupt() {
        if exit.status == nil { kill(pid, SIGINT) }
    }

    /// Stops the recording if still running, waits for it, and returns the top entries by
    /// self time (`12.34%  [.] symbol`), Swift names demangled when `swift-demangle` exists;
    /// or one line saying why there is none.
    func topEntries() async -> [String] {
        interrupt()
        let recorded = await exit.wait(atMost: Self.finishGrace)
        _ = Self.running.withLock { $0.remove(pid) }
        guard let recorded else {
            kill(pid, SIGKILL)
            return ["no profile: perf record did not finish within \(Self.finishGrace) of SIGINT"]
        }
        let report = folder.appendingPathComponent(data.lastPathComponent + ".txt")
        let status = await ToolProcess(
            [
                "perf", "report", "--stdio", "--no-children", "--sort", "symbol", "-g", "none", "--pid", String(worker),
                "--percentage", "relative", "-i", data.path,
            ],
            output: report
        ).run()
        guard status == 0, let text = try? String(contentsOf: report, encoding: .utf8) else {
            return ["no profile: perf record exited with \(recorded), perf report with \(status)"]
        }
        let lines = Self.topEntries(report: text, count: Self.entries)
        let demangled = folder.appendingPathComponent(data.lastPathComponent + ".demangled.txt")
        let top = folder.appendingPathComponent(data.lastPathComponent + ".top.txt")
        try? Data(lines.joined(separator: "\n").utf8).write(to: top)
        guard await ToolProcess(["swift-demangle", "--simplified"], output: demangled, input: top).run() == 0,
            let readable = try? String(contentsOf: demangled, encoding: .utf8)
        else { return lines }
        return readable.split(separator: "\n").map(String.init)
    }

    /// The first `count` entry lines of a `perf report --stdio -g none` text, trimmed.
    static func topEntries(report: String, count: Int) -> [String] {
        var entries: [String] = []
        for line in report.split(separator: "\n") where entries.count < count {
            var trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.first?.isNumber == true && trimmed.contains("%") else { continue }
            // perf 6.1 appends empty IPC columns (`-      -`).
            while trimmed.hasSuffix(" -") {
                trimmed = String(trimmed.dropLast(2)).trimmingCharacters(in: .whitespaces)
            }
            entries.append(trimmed)
        }
        return entries
    }
}
