import CouponSandbox
import Foundation
import Kafka

/// Scenarios 2–4: the whole pipeline (validate, claim, signed HTTP call, complete, publish,
/// offset) on SQLite, against a backlog of unique issue commands.
///
/// The commands are produced before the worker starts, so it runs flat out; the rate is
/// taken between the first and the last result the worker published, which leaves group
/// join and connection set-up out. The worker runs in its own process (`BenchWorker`), whose
/// CPU and memory are sampled when the first and the last result are read (`MeasuredWindow`).
struct PipelineThroughput {
    typealias Provider = BenchWorker.Shape.Provider

    var provider: Provider
    var commands: Int
    var partitions: Int32 = 6
    var providerLatency: Duration = .zero
    var shape = BenchWorker.Shape()
    /// How long the run may take before it counts as stuck.
    var timeout: Duration = .seconds(600)
    /// Record the worker with perf over the measured window (`--profile`).
    var profile = false

    struct Measurement: Sendable {
        var tally: ResultTally
        /// The worker process's CPU and memory over the measured window.
        var usage: WorkerUsage
        /// Commands/s.
        var rate: Double { tally.rate ?? 0 }
    }

    func run(on stage: BenchStage) async throws -> Measurement {
        let run = UUID().uuidString.prefix(6).uppercased()
        let topics = try stage.workerTopics("\(provider.rawValue)", partitions: partitions)
        let provider = self.provider
        try await SendWindow.send(count: commands, window: 5_000, producer: stage.producer) { index in
            let key = BenchCommands.outRequestNo(run: String(run), index: index)
            let value = provider == .zvcms ? BenchCommands.zvcmsIssue(key) : BenchCommands.wechatIssue(key, index: index)
            return KafkaOutgoingMessage(topic: topics.issue, key: Array(key.utf8), value: value)
        }
        let faults = provider == .zvcms ? stage.sandboxes.zvcms.faults : stage.sandboxes.wechat.faults
        faults.latency = providerLatency
        defer { faults.latency = .zero }

        var shape = self.shape
        shape.providers = [provider]
        let reader = try stage.reader(of: [topics.results])
        let worker: BenchWorker
        do {
            worker = try BenchWorker.start(on: stage, topics: topics, shape: shape)
        } catch {
            await reader.close()
            throw error
        }
        let expected = commands
        let window = MeasuredWindow(
            worker: worker, expected: expected, folder: stage.folder, profileName: profile ? topics.issue : nil)
        let timeout = self.timeout
        let tally: Result<ResultTally, any Error>
        do {
            tally = .success(try await worker.watching {
                try await ResultTally.read(reader, expected: expected, timeout: timeout) { _, count in
                    window.resultRead(count: count)
                }
            })
        } catch {
            tally = .failure(error)
        }
        let usage = await window.finish(tally: try? tally.get())
        await worker.stop()
        await reader.close()
        return Measurement(tally: try tally.get(), usage: usage)
    }
}
