import Foundation

/// The process's peak resident set size (`VmHWM` in /proc/self/status), which the kernel
/// lets us reset (`echo 5 > /proc/self/clear_refs`) so a peak belongs to one scenario.
///
/// The process also holds the mock Kafka cluster (every record of every topic, in memory)
/// and both sandboxes, so the figure is an upper bound for the worker alone.
enum PeakMemory {
    /// Resets the peak to the current RSS; false where the kernel does not allow it.
    static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// Peak RSS in bytes since start or the last reset.
    static func peakBytes() -> Double? { statusField("VmHWM:") }

    /// Current RSS in bytes.
    static func currentBytes() -> Double? { statusField("VmRSS:") }

    private static func statusField(_ name: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            // `VmHWM:\t  123456 kB`
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                .flatMap { Double($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
