import AsyncHTTPClient
import CouponModel
import CouponWorker
import Foundation
import IdempotencyStore
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

extension Duration {
    /// Seconds as an operator reads them in a message: `3`, `2.5`.
    var secondsText: String {
        components.attoseconds == 0 ? "\(components.seconds)" : String(format: "%.3g", seconds)
    }
}

extension HTTPClient.Configuration {
    /// The provider clients' HTTP configuration. One connection per command in flight:
    /// AsyncHTTPClient's default of 8 per host would cap a 50 ms provider at 160 commands/s
    /// (measured by `bench`). AsyncHTTPClient's own spans are off: they record the full URL,
    /// and a WeChat path holds the user's openid; the provider modules trace each request
    /// with its path template instead.
    public static func providers(maxInFlight: Int) -> Self {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, maxInFlight))
        configuration.tracing.tracer = nil
        return configuration
    }
}

/// The production worker as a library: settings in, a running worker out.
///
/// `coupon-worker run` is `WorkerSettings.load` plus `run(settings:)`; `demo` and `bench` call
/// `assemble` and run the parts themselves, so every worker — production, demo, benchmark — is
/// built and validated by the same code.
public enum WorkerRuntime {
    /// Everything one worker needs, built and connected but not running yet. The owner runs
    /// `worker` (and, in production, the side port and `purger`), then calls `release()`.
    public struct Assembled: Sendable {
        /// The pipeline, a `Service`: consumes until cancelled or shut down gracefully.
        public var worker: CouponWorker
        /// The worker's result and dead-letter producer.
        public var producer: KafkaProducer
        /// The idempotency store, migrated.
        public var store: any IdempotencyStore
        /// Shared by every provider client, sized to `max_in_flight`.
        public var httpClient: HTTPClient
        /// Deletes final records after `record_retention_days`, a `Service`.
        public var purger: RecordPurger
        /// How long the service group may take to stop after SIGTERM before it gives up.
        public var shutdownBound: Duration
        /// Where the side port listens (`http.host`, `http.port`).
        public var httpHost: String
        public var httpPort: Int
        /// Opens `/requests/{out_request_no}`; `nil`: that endpoint does not exist.
        public var adminToken: AdminToken?

        /// Flushes the producer, closes the store and the HTTP client, in that order: the
        /// last results reach Kafka before anything they depend on goes away. Call it once
        /// the worker has stopped.
        public func release() async {
            await producer.shutdown(timeout: .seconds(10))
            await store.close()
            try? await httpClient.shutdown()
        }
    }

    /// Builds everything, or throws every configuration problem at once (missing brokers, a
    /// bad store URL, out-of-range settings, unreadable key or token files, a lease shorter
    /// than a provider attempt). Nothing is opened until the settings are valid.
    public static func assemble(settings: WorkerSettings, logger: Logger) async throws(ConfigurationProblems) -> Assembled {
        var problems: [String] = []
        let brokers = settings.kafka.brokers ?? ""
        if brokers.isEmpty { problems.append("kafka.brokers (COUPON_KAFKA_BROKERS) is required") }
        let storeLocation = settings.store ?? "sqlite:coupon-worker.sqlite"
        if !(storeLocation.hasPrefix("sqlite:") || storeLocation.hasPrefix("postgres://") || storeLocation.hasPrefix("postgresql://")) {
            problems.append("store (COUPON_STORE) must be sqlite:PATH or a postgres:// URL")
        }
        let host = settings.http.host ?? "0.0.0.0"
        if host.isEmpty { problems.append("http.host (COUPON_HTTP_HOST) must be an address or host name") }
        let kafka = settings.kafka
        if let id = kafka.instanceID, id.isEmpty || id.utf8.count > 249 {
            problems.append("kafka.instance_id (COUPON_KAFKA_INSTANCE_ID) must be 1 to 249 characters")
        }
        let sessionTimeoutMs = kafka.sessionTimeoutMs ?? (kafka.instanceID == nil ? 10_000 : 30_000)
        if !(6_000...300_000).contains(sessionTimeoutMs) {
            problems.append("kafka.session_timeout_ms (COUPON_KAFKA_SESSION_TIMEOUT_MS) must be 6000 to 300000")
        }
        let commitIntervalMs = kafka.commitIntervalMs ?? 1_000
        if !(100...60_000).contains(commitIntervalMs) {
            problems.append("kafka.commit_interval_ms (COUPON_KAFKA_COMMIT_INTERVAL_MS) must be 100 to 60000")
        }
        let port = settings.http.port ?? 8080
        if !(0...65535).contains(port) { problems.append("http.port (COUPON_HTTP_PORT) must be a port number") }
        var adminToken: AdminToken?
        if let file = settings.http.adminTokenFile {
            do {
                adminToken = try AdminToken.load(file: file)
            } catch {
                problems.append(error.description)
            }
        }
        let w = settings.worker
        let pipeline = PipelineSettings(settings, owner: PipelineSettings.processOwner())
        let timeout = pipeline.providerTimeout
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .providers(maxInFlight: pipeline.worker.maxInFlight))
        let providers: ProviderDirectory
        do {
            providers = try ProviderAssembly.directory(settings, httpClient: httpClient, timeout: timeout, logger: logger)
        } catch {
            problems.append(contentsOf: error.lines)
            providers = ProviderDirectory()
        }
        let lease = pipeline.processor.leaseDuration
        let worstCase = providers.worstCaseAttempt
        if lease <= worstCase {
            problems.append(
                "worker.lease_seconds (\(lease.secondsText) s) must exceed the worst case of one provider attempt "
                    + "(\(worstCase.secondsText) s: every host, re-signing and key download, each up to "
                    + "provider_timeout_seconds); raise lease_seconds or lower provider_timeout_seconds")
        }
        let graces = [("shutdown_grace_seconds", w.shutdownGraceSeconds), ("revoke_grace_seconds", w.revokeGraceSeconds),
                      ("record_retention_days", w.recordRetentionDays), ("purge_interval_seconds", w.purgeIntervalSeconds)]
        for (name, value) in graces where (value ?? 1) <= 0 {
            problems.append("worker.\(name) must be positive")
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
        consumerConfiguration.groupInstanceID = kafka.instanceID
        consumerConfiguration.sessionTimeoutMilliseconds = sessionTimeoutMs
        consumerConfiguration.commitIntervalMilliseconds = commitIntervalMs
        do {
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            let worker = try CouponWorker(
                configuration: pipeline.worker, consumerConfiguration: consumerConfiguration, producer: producer,
                store: store, providers: providers, settings: pipeline.processor, logger: logger)
            let purger = RecordPurger(
                store: store, retention: .seconds((w.recordRetentionDays ?? 30) * 86_400),
                interval: .seconds(w.purgeIntervalSeconds ?? 3600), logger: logger)
            // After the grace, a request that already reached a provider is still awaited (up to
            // its worst case) and its outcome stored (up to the store deadline) and published;
            // the orchestrator's own termination grace must cover this bound (README, deploy/).
            let grace = Duration.seconds(w.shutdownGraceSeconds ?? 25)
            let bound = grace + worstCase + IdempotencyStoreFactory.defaultCallDeadline * 2 + .seconds(10)
            return Assembled(
                worker: worker, producer: producer, store: store, httpClient: httpClient, purger: purger,
                shutdownBound: bound, httpHost: host, httpPort: port, adminToken: adminToken)
        } catch {
            await store.close()
            try? await httpClient.shutdown()
            throw ConfigurationProblems(["kafka: \(error)"])
        }
    }

    /// The worker, the side port or the purger failed: the process must end with
    /// `exitStatus` (EX_SOFTWARE), never live on consuming nothing, never exit 0.
    public struct ServiceFailure: Error, CustomStringConvertible {
        public static let exitStatus: Int32 = 70
        /// What ended the service group.
        public var underlying: any Error

        public var description: String { "service failure: \(underlying)" }
    }

    /// The production worker: installs logging, Prometheus metrics and (when configured) span
    /// export for the process, assembles, and runs until SIGTERM/SIGINT, then shuts down in
    /// order: worker (drain, commit), side port, producer flush, store, HTTP client; the span
    /// export stops after the services, flushing the last spans.
    ///
    /// Throws `ConfigurationProblems` before anything runs (exit 78) or `ServiceFailure` after
    /// a service failed (exit 70, once everything is released).
    public static func run(settings: WorkerSettings, environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        LoggingSetup.bootstrap(format: settings.log.format, level: settings.log.level)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "coupon-worker")
        let tracing = try TracingSetup.bootstrap(settings.tracing, environment: environment, logger: logger)
        let parts = try await assemble(settings: settings, logger: logger)
        let sidePort = SidePort.application(
            host: parts.httpHost, port: parts.httpPort, worker: parts.worker, store: parts.store,
            adminToken: parts.adminToken, registry: registry, logger: logger)
        // Shut down in reverse order: the span exporter last, so the worker's final spans are flushed.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = tracing.map { [.init(service: $0)] } ?? []
        services += [.init(service: parts.worker), .init(service: sidePort), .init(service: parts.purger)]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = parts.shutdownBound
        let group = ServiceGroup(configuration: groupConfiguration)
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
            logger.error("service group ended with an error", metadata: ["error": "\(error)"])
        }
        await parts.release()
        if let failure {
            // Never a live process that consumes nothing, never exit 0 after a failure: the
            // orchestrator restarts the instance (fenced: another instance has its id).
            logger.critical("exiting with status \(ServiceFailure.exitStatus)", metadata: ["error": "\(failure)"])
            throw ServiceFailure(underlying: failure)
        }
    }
}
