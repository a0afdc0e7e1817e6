import Foundation

/// The machine figures came from: they mean little without it.
struct BenchMachine: Codable, Sendable {
    var cores: Int
    var cpu: String
    var memoryGib: Double
    var kernel: String
    /// `release` or `debug`: debug figures are not representative.
    var build: String

    static func current() -> BenchMachine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return BenchMachine(
            cores: ProcessInfo.processInfo.activeProcessorCount, cpu: model,
            memoryGib: (Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
            kernel: kernel, build: build)
    }

    var summary: String {
        "\(cores) cores, \(cpu), \(memoryGib) GiB, Linux \(kernel), \(build) build"
    }
}
