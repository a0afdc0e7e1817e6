import CouponWorkerRuntime
import Foundation
import Logging
import Testing

@testable import CouponWorkerDevTools

/// What `coupon-worker bench` measures a worker process by, on fixed input: its config file,
/// `/proc` accounting, the steadiness of results, and perf's report.
@Suite("bench: the worker process and its figures")
struct BenchTests {
    @Test("the config file a bench worker gets reads back as exactly the settings the bench made")
    func configFileSaysEverythingTheBenchSets() async throws {
        let stage = try await BenchStage.start(logger: Logger(label: "bench-test"))
        let topics = BenchStage.Topics(issue: "i", query: "q", results: "r", deadLetters: "d")
        var shape = BenchWorker.Shape()
        shape.providers = [.zvcms, .wechat]
        shape.partitionBuffer = 1
        shape.fetchWaitMilliseconds = 1
        let settings = BenchWorker.settings(on: stage, topics: topics, shape: shape)
        let file = stage.folder.appendingPathComponent("config.json")
        try BenchWorker.configFile(settings).write(to: file)
        let loaded = try WorkerSettings.load(file: file.path, environment: [:])
        await stage.stop()

        // `load` applies the (here empty) environment, which turns absent property maps into empty ones.
        var expected = settings
        expected.apply(environment: [:])
        let written = String(decoding: try BenchWorker.configFile(expected), as: UTF8.self)
        let read = String(decoding: try BenchWorker.configFile(loaded), as: UTF8.self)
        #expect(read == written)
        #expect(loaded.kafka.consumerProperties == ["fetch.wait.max.ms": "1"])
        #expect(loaded.worker.partitionBuffer == 1)
        #expect(loaded.http.port == 0)
        #expect(loaded.log.level == "warning")
        #expect(loaded.wechat.merchants?.first?.ratePerSecond == 1_000_000)
        #expect(loaded.zvcms.accounts?.first?.ratePerSecond == 1_000_000)
    }

    @Test("CPU time is fields 14 and 15 of /proc/<pid>/stat, counted after a command name with spaces and parentheses")
    func statFieldsAfterTheCommandName() {
        let line = "4242 (coupon (worker) x) S 1 4242 4242 0 -1 4194560 2130 0 0 0 1234 567 0 0 20 0 9 0 100 0 0"
        #expect(WorkerProcessSample.cpuTicks(stat: line) == 1234 + 567)
        #expect(WorkerProcessSample.cpuTicks(stat: "4242 (short) S 1 2") == nil)
    }

    @Test("peak and current RSS are read from /proc/<pid>/status in kB")
    func statusKilobytes() {
        let status = "Name:\tcoupon-worker\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\n"
        #expect(WorkerProcessSample.kilobytes(named: "VmHWM:", in: status) == 81_920)
        #expect(WorkerProcessSample.kilobytes(named: "VmRSS:", in: status) == 40_960)
        #expect(WorkerProcessSample.kilobytes(named: "VmSwap:", in: status) == nil)
    }

    @Test("this process's own sample has CPU time and a peak RSS at least its current one")
    func sampleOfALiveProcess() throws {
        let sample = try #require(WorkerProcessSample.take(pid: getpid()))
        #expect(sample.cpuSeconds > 0)
        let peak = try #require(sample.peakResidentBytes)
        let current = try #require(sample.residentBytes)
        #expect(peak >= current)
    }

    @Test("the longest gap and the empty 100 ms slots come from the results' timestamps, in any order")
    func gapsAndEmptySlots() throws {
        // Results at 0, 50, 120, 450 and 460 ms: slots 0, 1 and 4 of 0…4 have one; 2 and 3 none.
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let times = [0.46, 0.0, 0.12, 0.05, 0.45].map { start.addingTimeInterval($0) }
        let gaps = try #require(ResultGaps(times: times))
        #expect((gaps.longest * 1000).rounded() == 330)
        #expect(gaps.slots == 5)
        #expect(gaps.emptySlots == 2)
        #expect(gaps.emptyShare == 0.4)
    }

    @Test("a result exactly on a slot boundary opens the next slot")
    func slotBoundaries() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let gaps = try #require(ResultGaps(times: [0.0, 0.1, 0.2, 0.3].map { start.addingTimeInterval($0) }))
        #expect(gaps.slots == 4)
        #expect(gaps.emptySlots == 0)
        #expect(ResultGaps(times: [start]) == nil)
    }

    @Test("perf's report gives its entry lines, in order, without headers, call chains or empty IPC columns")
    func perfReportEntries() {
        let report = """
            # To display the perf.data header info, please use --header/--header-only options.
            #
            # Samples: 1K of event 'cpu-clock:pppH'
            #
            # Overhead  Symbol
            # ........  ..............
            #
                 9.94%  [.] swift_retain                      -      -
                 6.71%  [k] finish_task_switch.isra.0         -      -
                 6.71%  [.] swift_release

            """
        #expect(PerfProfile.topEntries(report: report, count: 2) == [
            "9.94%  [.] swift_retain", "6.71%  [k] finish_task_switch.isra.0",
        ])
    }
}
