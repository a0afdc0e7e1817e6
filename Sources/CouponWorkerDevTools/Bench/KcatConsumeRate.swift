import CouponModel
import Foundation

/// kcat's consume rate from the same cluster: `kcat -C -b … -t T -o beginning -e -q`,
/// timed from process start to exit (so it includes kcat's start-up and metadata fetch).
/// The reference for what a plain librdkafka consumer reads on this machine.
struct KcatConsumeRate {
    var bootstrapServers: String
    var topic: String
    /// How many records the topic holds.
    var messages: Int

    /// Records per second, or why kcat could not be measured.
    func measure() async -> Result<Double, BenchFailure> {
        let started = ContinuousClock.now
        let status = await ToolProcess(["kcat", "-C", "-b", bootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q"]).run()
        let elapsed = started.duration(to: .now)
        guard status == 0 else { return .failure(.tool("kcat exited with status \(status) (is kcat installed?)")) }
        return .success(Double(messages) / elapsed.seconds)
    }
}
