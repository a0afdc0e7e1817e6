import ArgumentParser
import AsyncHTTPClient
import CouponWorker
import Foundation
import IdempotencyStore
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The production worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume commands, call providers exactly once, publish results.",
        discussion: "Configuration: --config FILE (JSON) plus COUPON_* environment variables; see README.")

    @Option(help: "The JSON configuration file.") var config: String?

    func run() async throws {
        let settings: WorkerSettings
        do {
            settings = try WorkerSettings.load(file: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError(error.description)
            throw ExitCode(78)
        }
        LoggingSetup.bootstrap(format: settings.log.format, level: settings.log.level)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "coupon-worker")
        do {
            try await WorkerRuntime.run(settings: settings, registry: registry, logger: logger)
        } catch let problems as ConfigurationProblems {
            printError(problems.description)
            throw ExitCode(78)
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Assembles and runs one worker from settings; shared by `run` and `demo`.
enum WorkerRuntime {
    struct Assembled {
        var worker: CouponWorker
        var producer: KafkaProducer
        var store: any IdempotencyStore
        var httpClient: HTTPClient
        var graceSeconds: Double
        var httpPort: Int
    }

    /// Builds everything or reports every configuration problem at once.
    static func assemble(settings: WorkerSettings, logger: Logger) async throws -> Assembled {
        var problems: [String] = []
        let brokers = settings.kafka.brokers ?? ""
        if brokers.isEmpty { problems.append("kafka.brokers (COUPON_KAFKA_BROKERS) is required") }
        let storeLocation = settings.store ?? "sqlite:coupon-worker.sqlite"
        if !(storeLocation.hasPrefix("sqlite:") || storeLocation.hasPrefix("postgres://") || storeLocation.hasPrefix("postgresql://")) {
            problems.append("store (COUPON_STORE) must be sqlite:PATH or a postgres:// URL")
        }
        let port = settings.http.port ?? 8080
        if !(0...65535).contains(port) { problems.append("http.port (COUPON_HTTP_PORT) must be a port number") }
        let w = settings.worker
        let timeout = Duration.milliseconds(Int((w.providerTimeoutSeconds ?? 10) * 1000))
        // One connection per command in flight: AsyncHTTPClient's default of 8 per host would
        // cap a 50 ms provider at 160 commands/s (measured by `bench`).
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, w.maxInFlight ?? 256))
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let providers: ProviderDirectory
        do {
            providers = try ProviderAssembly.directory(settings, httpClient: httpClient, timeout: timeout, logger: logger)
        } catch {
            problems.append(contentsOf: error.lines)
            providers = ProviderDirectory()
        }
        guard problems.isEmpty else {
            try? await httpClient.shutdown()
            throw ConfigurationProblems(problems)
        }
        let store: any IdempotencyStore
        do {
            store = try await IdempotencyStoreFactory.open(storeLocation, logger: logger)
            try await store.migrate()
        } catch {
            try? await httpClient.shutdown()
            throw ConfigurationProblems(["store: \(error)"])
        }
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: brokers)
        // Each result waits for its delivery report before its offset moves: batching for
        // longer than a millisecond only adds latency.
        producerConfiguration.lingerMilliseconds = 1
        producerConfiguration.properties = settings.kafka.producer
        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: brokers, groupID: settings.kafka.group ?? "coupon-worker")
        consumerConfiguration.properties = settings.kafka.consumer
        consumerConfiguration.statisticsIntervalMilliseconds = 5000
        var configuration = CouponWorker.Configuration()
        configuration.issueTopic = settings.topics.issue ?? Topology.issue
        configuration.queryTopic = settings.topics.query ?? Topology.query
        configuration.resultsTopic = settings.topics.results ?? Topology.results
        configuration.deadLetterTopic = settings.topics.dlq ?? Topology.deadLetters
        configuration.maxInFlight = w.maxInFlight ?? 256
        configuration.partitionBufferLimit = w.partitionBuffer ?? 512
        let owner = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UInt32.random(in: 0...UInt32.max))"
        let settingsForProcessor = CommandProcessor.Settings(
            leaseDuration: .milliseconds(Int((w.leaseSeconds ?? 60) * 1000)),
            retry: RetryPolicy(
                maxAttempts: w.maxAttempts ?? 5, budget: .milliseconds(Int((w.retryBudgetSeconds ?? 60) * 1000))),
            owner: owner, ambiguousSettle: timeout)
        do {
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            let worker = try CouponWorker(
                configuration: configuration, consumerConfiguration: consumerConfiguration, producer: producer,
                store: store, providers: providers, settings: settingsForProcessor, logger: logger)
            return Assembled(
                worker: worker, producer: producer, store: store, httpClient: httpClient,
                graceSeconds: w.shutdownGraceSeconds ?? 25, httpPort: port)
        } catch {
            await store.close()
            try? await httpClient.shutdown()
            throw ConfigurationProblems(["kafka: \(error)"])
        }
    }

    /// Runs until SIGTERM/SIGINT, then shuts down in order: worker (drain, commit), side
    /// port, producer flush, store, HTTP client.
    static func run(settings: WorkerSettings, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        let parts = try await assemble(settings: settings, logger: logger)
        let sidePort = SidePort.application(
            host: "0.0.0.0", port: parts.httpPort, worker: parts.worker, store: parts.store, registry: registry,
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: parts.worker), .init(service: sidePort)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = Duration.milliseconds(Int(parts.graceSeconds * 1000))
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("service group ended with an error", metadata: ["error": "\(error)"])
        }
        await parts.producer.shutdown(timeout: .seconds(10))
        await parts.store.close()
        try? await parts.httpClient.shutdown()
    }
}
