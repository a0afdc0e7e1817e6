import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the kernel accounts to one process at one instant: the CPU it used so far (user +
/// system, all threads) and its resident memory, read from `/proc/<pid>/stat` and
/// `/proc/<pid>/status`.
///
/// The bench reads the worker's process only, so the producer, the reader, the broker and the
/// sandboxes (all in the bench's process) never count as the worker's CPU or memory.
struct WorkerProcessSample: Sendable {
    /// When the sample was taken.
    var takenAt: ContinuousClock.Instant
    /// `utime + stime` in seconds (fields 14 and 15 of `stat`, in clock ticks).
    var cpuSeconds: Double
    /// `VmHWM`: the peak resident set since the process started, in bytes.
    var peakResidentBytes: Double?
    /// `VmRSS`: the resident set now, in bytes.
    var residentBytes: Double?

    /// Samples `pid`; `nil` when the process is gone or `/proc` is unreadable.
    static func take(pid: Int32) -> WorkerProcessSample? {
        let takenAt = ContinuousClock.now
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let ticks = cpuTicks(stat: stat)
        else { return nil }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return WorkerProcessSample(
            takenAt: takenAt, cpuSeconds: Double(ticks) / Double(clockTicksPerSecond),
            peakResidentBytes: kilobytes(named: "VmHWM:", in: status).map { $0 * 1024 },
            residentBytes: kilobytes(named: "VmRSS:", in: status).map { $0 * 1024 })
    }

    /// `sysconf(_SC_CLK_TCK)`, the unit of `stat`'s times (100 on Linux).
    static let clockTicksPerSecond: Int = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? ticks : 100
    }()

    /// `utime + stime` of a `/proc/<pid>/stat` line. The command name (field 2) is in
    /// parentheses and may hold spaces and parentheses itself, so fields are counted from
    /// the last `)`: field 3 (state) is the first after it, utime and stime are 14 and 15.
    static func cpuTicks(stat: String) -> Int? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        let utimeIndex = 14 - 3
        let stimeIndex = 15 - 3
        guard fields.count > stimeIndex, let utime = Int(fields[utimeIndex]), let stime = Int(fields[stimeIndex]) else {
            return nil
        }
        return utime + stime
    }

    /// The number of a `Name:\t  123456 kB` line of `/proc/<pid>/status`.
    static func kilobytes(named name: String, in status: String) -> Double? {
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            return line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                .flatMap { Double($0) }
        }
        return nil
    }
}
