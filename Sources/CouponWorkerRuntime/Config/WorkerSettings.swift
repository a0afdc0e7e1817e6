import Foundation

/// Everything a worker is configured by: one JSON file plus environment overrides.
///
/// `coupon-worker run` loads it (`load(file:environment:)`); `demo`, `bench` and the test
/// harness fill it in code. All of them hand it to `WorkerRuntime.assemble`, so every worker
/// is built and validated by the same code. Every field is optional here: defaults and
/// validation belong to the assembly, which reports all problems at once.
///
/// File shape (all keys optional but the ones a profile needs):
/// ```json
/// {"kafka":{"brokers":"…","group":"coupon-worker","instance_id":"worker-0","session_timeout_ms":30000,
///           "commit_interval_ms":1000,"properties":{"<librdkafka property>":"…"},
///           "consumer_properties":{…},"producer_properties":{…}},
///  "topics":{"issue":"…","query":"…","results":"…","dlq":"…"},
///  "store":"sqlite:PATH | postgres://…",
///  "http":{"host":"0.0.0.0","port":8080,"admin_token_file":"/run/secrets/…/admin-token"},
///  "worker":{"max_in_flight":256,"max_attempts":5,"retry_budget_seconds":60,"lease_seconds":60,
///            "provider_timeout_seconds":10,"shutdown_grace_seconds":25,"revoke_grace_seconds":10,
///            "partition_buffer":512,"record_retention_days":30,"purge_interval_seconds":3600},
///  "wechat":{"merchants":[{"mchid","base_url","backup_base_url","cert_serial","private_key_file",
///            "apiv3_key_file","public_key_file","public_key_id","rate_per_second"}]},
///  "zvcms":{"accounts":[{"open_id","grant_code","open_key_file","base_url","rate_per_second"}]},
///  "log":{"format":"json|text","level":"info"},
///  "tracing":{"enabled":false,"endpoint":"http://collector:4318","service_name":"coupon-worker",
///             "sampler_ratio":1.0}}
/// ```
/// Environment (wins over the file): `COUPON_KAFKA_BROKERS`, `COUPON_KAFKA_GROUP`,
/// `COUPON_KAFKA_INSTANCE_ID`, `COUPON_KAFKA_SESSION_TIMEOUT_MS`, `COUPON_KAFKA_COMMIT_INTERVAL_MS`,
/// `COUPON_TOPIC_{ISSUE,QUERY,RESULTS,DLQ}`, `COUPON_STORE`, `COUPON_HTTP_HOST`, `COUPON_HTTP_PORT`,
/// `COUPON_HTTP_ADMIN_TOKEN_FILE`,
/// `COUPON_LOG_FORMAT`, `COUPON_LOG_LEVEL`, `COUPON_WECHAT_*` and `COUPON_ZVCMS_*` (one profile,
/// merged into the first of the file or created), and `COUPON_KAFKA_PROPERTY_<name>` for any
/// librdkafka property (`_` in the name stands for `.`), `COUPON_KAFKA_CONSUMER_PROPERTY_<name>`
/// and `COUPON_KAFKA_PRODUCER_PROPERTY_<name>` for one side only. Tracing is configured the
/// OpenTelemetry way, `OTEL_*` winning over `tracing.*` (`TracingSetup`).
public struct WorkerSettings: Codable, Sendable {
    /// `kafka.*`: the group, membership and librdkafka properties.
    public struct Kafka: Codable, Sendable {
        public var brokers: String?
        public var group: String?
        /// `group.instance.id`: static membership, one stable id per instance (README,
        /// "Many instances"). Default none: a dynamic member.
        public var instanceID: String?
        /// `session.timeout.ms`. Default 10 s, or 30 s with an instance id: a static member's
        /// restart must fit inside it.
        public var sessionTimeoutMs: Int?
        /// `auto.commit.interval.ms`: how often stored offsets are committed. Default 1000.
        public var commitIntervalMs: Int?
        /// librdkafka properties for both the consumer and the producer.
        public var properties: [String: String]?
        /// Consumer-only properties (`session.timeout.ms`, …): given to the producer they
        /// are ignored with a CONFWARN.
        public var consumerProperties: [String: String]?
        /// Producer-only properties (`linger.ms`, `compression.type`, …).
        public var producerProperties: [String: String]?

        enum CodingKeys: String, CodingKey {
            case brokers, group, properties
            case instanceID = "instance_id", sessionTimeoutMs = "session_timeout_ms", commitIntervalMs = "commit_interval_ms"
            case consumerProperties = "consumer_properties", producerProperties = "producer_properties"
        }

        /// What the consumer is given: the shared properties, then its own.
        public var consumer: [String: String] { (properties ?? [:]).merging(consumerProperties ?? [:]) { _, own in own } }
        /// What the producer is given: the shared properties, then its own.
        public var producer: [String: String] { (properties ?? [:]).merging(producerProperties ?? [:]) { _, own in own } }
    }

    /// `topics.*`: the four topic names.
    public struct Topics: Codable, Sendable {
        public var issue: String?
        public var query: String?
        public var results: String?
        public var dlq: String?

        /// Topic names; `nil` ones fall back to `Topology`'s defaults.
        public init(issue: String? = nil, query: String? = nil, results: String? = nil, dlq: String? = nil) {
            self.issue = issue
            self.query = query
            self.results = results
            self.dlq = dlq
        }
    }

    /// The side port (`SidePort`).
    public struct HTTP: Codable, Sendable {
        /// The address to listen on (default `0.0.0.0`: probes and Prometheus reach the pod's IP).
        public var host: String?
        public var port: Int?
        /// The file holding the bearer token that opens `/requests/{out_request_no}`; without
        /// one that endpoint does not exist (`AdminToken`).
        public var adminTokenFile: String?

        enum CodingKeys: String, CodingKey {
            case host, port, adminTokenFile = "admin_token_file"
        }
    }

    /// `worker.*`: concurrency, retries, leases, graces and retention.
    public struct Worker: Codable, Sendable {
        public var maxInFlight: Int?
        public var maxAttempts: Int?
        public var retryBudgetSeconds: Double?
        public var leaseSeconds: Double?
        public var providerTimeoutSeconds: Double?
        public var shutdownGraceSeconds: Double?
        public var revokeGraceSeconds: Double?
        public var partitionBuffer: Int?
        public var recordRetentionDays: Double?
        public var purgeIntervalSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case maxInFlight = "max_in_flight", maxAttempts = "max_attempts"
            case retryBudgetSeconds = "retry_budget_seconds", leaseSeconds = "lease_seconds"
            case providerTimeoutSeconds = "provider_timeout_seconds"
            case shutdownGraceSeconds = "shutdown_grace_seconds", partitionBuffer = "partition_buffer"
            case revokeGraceSeconds = "revoke_grace_seconds", recordRetentionDays = "record_retention_days"
            case purgeIntervalSeconds = "purge_interval_seconds"
        }
    }

    /// One WeChat Pay merchant profile (`wechat.merchants[]`).
    public struct WeChatMerchant: Codable, Sendable {
        public var mchid: String?
        public var baseURL: String?
        public var backupBaseURL: String?
        public var certSerial: String?
        public var privateKeyFile: String?
        public var apiV3KeyFile: String?
        public var publicKeyFile: String?
        public var publicKeyID: String?
        public var ratePerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case mchid, baseURL = "base_url", backupBaseURL = "backup_base_url", certSerial = "cert_serial"
            case privateKeyFile = "private_key_file", apiV3KeyFile = "apiv3_key_file"
            case publicKeyFile = "public_key_file", publicKeyID = "public_key_id", ratePerSecond = "rate_per_second"
        }

        /// One merchant profile; `ProviderAssembly` names every required field that is missing.
        public init(
            mchid: String? = nil, baseURL: String? = nil, backupBaseURL: String? = nil, certSerial: String? = nil,
            privateKeyFile: String? = nil, apiV3KeyFile: String? = nil, publicKeyFile: String? = nil,
            publicKeyID: String? = nil, ratePerSecond: Double? = nil
        ) {
            self.mchid = mchid
            self.baseURL = baseURL
            self.backupBaseURL = backupBaseURL
            self.certSerial = certSerial
            self.privateKeyFile = privateKeyFile
            self.apiV3KeyFile = apiV3KeyFile
            self.publicKeyFile = publicKeyFile
            self.publicKeyID = publicKeyID
            self.ratePerSecond = ratePerSecond
        }
    }

    /// `wechat.*`.
    public struct WeChat: Codable, Sendable {
        public var merchants: [WeChatMerchant]?
    }

    /// One zvcms account (`zvcms.accounts[]`). `rate_per_second` (default 10, the platform's
    /// limit per endpoint) bounds all calls of the account.
    public struct ZvcmsAccount: Codable, Sendable {
        public var openID: String?
        public var grantCode: String?
        public var openKeyFile: String?
        public var baseURL: String?
        public var ratePerSecond: Double?
        /// The calls no public source confirms (README "zvcms assumptions"), per account.
        public var endpoints: ZvcmsEndpointSettings?

        enum CodingKeys: String, CodingKey {
            case openID = "open_id", grantCode = "grant_code", openKeyFile = "open_key_file"
            case baseURL = "base_url", ratePerSecond = "rate_per_second", endpoints
        }

        /// One account; `ProviderAssembly` names every required field that is missing.
        public init(
            openID: String? = nil, grantCode: String? = nil, openKeyFile: String? = nil, baseURL: String? = nil,
            ratePerSecond: Double? = nil, endpoints: ZvcmsEndpointSettings? = nil
        ) {
            self.openID = openID
            self.grantCode = grantCode
            self.openKeyFile = openKeyFile
            self.baseURL = baseURL
            self.ratePerSecond = ratePerSecond
            self.endpoints = endpoints
        }
    }

    /// `zvcms.accounts[].endpoints`: the paths, the v2 action and the issue's field names the
    /// zvcms docs mark as assumptions. Each one left out keeps its default.
    public struct ZvcmsEndpointSettings: Codable, Sendable {
        public var v2Path: String?
        public var v3Prefix: String?
        public var userUseCouponAction: String?
        public var customerCouponsPath: String?
        public var couponStatusPath: String?
        public var issuePath: String?
        public var issueFields: ZvcmsIssueFieldSettings?

        enum CodingKeys: String, CodingKey {
            case v2Path = "v2_path", v3Prefix = "v3_prefix", userUseCouponAction = "user_use_coupon_action"
            case customerCouponsPath = "customer_coupons_path", couponStatusPath = "coupon_status_path"
            case issuePath = "issue_path", issueFields = "issue_fields"
        }

        public init(issuePath: String? = nil, issueFields: ZvcmsIssueFieldSettings? = nil) {
            self.issuePath = issuePath
            self.issueFields = issueFields
        }
    }

    /// `zvcms.accounts[].endpoints.issue_fields`: the issue request's field names.
    public struct ZvcmsIssueFieldSettings: Codable, Sendable {
        public var bizID: String?
        public var couponID: String?
        public var customerID: String?
        public var num: String?
        public var thirdChannel: String?

        enum CodingKeys: String, CodingKey {
            case bizID = "biz_id", couponID = "coupon_id", customerID = "customer_id", num
            case thirdChannel = "third_channel"
        }

        public init(bizID: String? = nil) {
            self.bizID = bizID
        }
    }

    /// `zvcms.*`.
    public struct Zvcms: Codable, Sendable {
        public var accounts: [ZvcmsAccount]?
    }

    /// `log.*`: `format` `json` or `text`, and the level.
    public struct Log: Codable, Sendable {
        public var format: String?
        public var level: String?
    }

    /// `tracing.*`: OTLP/HTTP export of the command spans, off unless `enabled` or an
    /// `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set; the `OTEL_*` variables win (`TracingSetup`).
    public struct Tracing: Codable, Sendable {
        public var enabled: Bool?
        /// The OTLP/HTTP base URL (`/v1/traces` is appended), like `OTEL_EXPORTER_OTLP_ENDPOINT`.
        public var endpoint: String?
        public var serviceName: String?
        /// The share of new traces sampled (0…1); a continued trace follows its parent's choice.
        public var samplerRatio: Double?

        enum CodingKeys: String, CodingKey {
            case enabled, endpoint, serviceName = "service_name", samplerRatio = "sampler_ratio"
        }
    }

    public var kafka = Kafka()
    public var topics = Topics()
    public var store: String?
    public var http = HTTP()
    public var worker = Worker()
    public var wechat = WeChat()
    public var zvcms = Zvcms()
    public var log = Log()
    public var tracing = Tracing()

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kafka = try c.decodeIfPresent(Kafka.self, forKey: .kafka) ?? Kafka()
        topics = try c.decodeIfPresent(Topics.self, forKey: .topics) ?? Topics()
        store = try c.decodeIfPresent(String.self, forKey: .store)
        http = try c.decodeIfPresent(HTTP.self, forKey: .http) ?? HTTP()
        worker = try c.decodeIfPresent(Worker.self, forKey: .worker) ?? Worker()
        wechat = try c.decodeIfPresent(WeChat.self, forKey: .wechat) ?? WeChat()
        zvcms = try c.decodeIfPresent(Zvcms.self, forKey: .zvcms) ?? Zvcms()
        log = try c.decodeIfPresent(Log.self, forKey: .log) ?? Log()
        tracing = try c.decodeIfPresent(Tracing.self, forKey: .tracing) ?? Tracing()
    }

    /// Reads `file` (when given) and applies `environment` on top.
    public static func load(file: String?, environment: [String: String]) throws(ConfigurationProblems) -> WorkerSettings {
        var settings = WorkerSettings()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationProblems(["config file \(file): cannot be read"])
            }
            do {
                settings = try JSONDecoder().decode(WorkerSettings.self, from: data)
            } catch let error as DecodingError {
                throw ConfigurationProblems(["config file \(file): \(error.shortDescription)"])
            } catch {
                throw ConfigurationProblems(["config file \(file): not valid JSON"])
            }
        }
        settings.apply(environment: environment)
        return settings
    }

    /// The `COUPON_*` variables, applied over the file.
    public mutating func apply(environment env: [String: String]) {
        if let v = env["COUPON_KAFKA_BROKERS"] { kafka.brokers = v }
        if let v = env["COUPON_KAFKA_GROUP"] { kafka.group = v }
        if let v = env["COUPON_KAFKA_INSTANCE_ID"] { kafka.instanceID = v }
        if let v = env["COUPON_KAFKA_SESSION_TIMEOUT_MS"] { kafka.sessionTimeoutMs = Int(v) ?? -1 }
        if let v = env["COUPON_KAFKA_COMMIT_INTERVAL_MS"] { kafka.commitIntervalMs = Int(v) ?? -1 }
        if let v = env["COUPON_TOPIC_ISSUE"] { topics.issue = v }
        if let v = env["COUPON_TOPIC_QUERY"] { topics.query = v }
        if let v = env["COUPON_TOPIC_RESULTS"] { topics.results = v }
        if let v = env["COUPON_TOPIC_DLQ"] { topics.dlq = v }
        if let v = env["COUPON_STORE"] { store = v }
        if let v = env["COUPON_HTTP_HOST"] { http.host = v }
        if let v = env["COUPON_HTTP_PORT"] { http.port = Int(v) ?? -1 }
        if let v = env["COUPON_HTTP_ADMIN_TOKEN_FILE"] { http.adminTokenFile = v }
        if let v = env["COUPON_LOG_FORMAT"] { log.format = v }
        if let v = env["COUPON_LOG_LEVEL"] { log.level = v }
        func properties(_ prefix: String) -> [String: String] {
            Dictionary(
                env.filter { $0.key.hasPrefix(prefix) }.map {
                    ($0.key.dropFirst(prefix.count).replacingOccurrences(of: "_", with: "."), $0.value)
                },
                uniquingKeysWith: { _, last in last })
        }
        kafka.properties = (kafka.properties ?? [:]).merging(properties("COUPON_KAFKA_PROPERTY_")) { _, new in new }
        kafka.consumerProperties = (kafka.consumerProperties ?? [:])
            .merging(properties("COUPON_KAFKA_CONSUMER_PROPERTY_")) { _, new in new }
        kafka.producerProperties = (kafka.producerProperties ?? [:])
            .merging(properties("COUPON_KAFKA_PRODUCER_PROPERTY_")) { _, new in new }
        let wechatKeys = [
            "COUPON_WECHAT_BASE_URL", "COUPON_WECHAT_MCHID", "COUPON_WECHAT_CERT_SERIAL",
            "COUPON_WECHAT_PRIVATE_KEY_FILE", "COUPON_WECHAT_APIV3_KEY_FILE", "COUPON_WECHAT_PUBLIC_KEY_FILE",
            "COUPON_WECHAT_PUBLIC_KEY_ID",
        ]
        if wechatKeys.contains(where: { env[$0] != nil }) {
            var merchants = wechat.merchants ?? []
            var m = merchants.first ?? WeChatMerchant()
            if let v = env["COUPON_WECHAT_BASE_URL"] { m.baseURL = v }
            if let v = env["COUPON_WECHAT_MCHID"] { m.mchid = v }
            if let v = env["COUPON_WECHAT_CERT_SERIAL"] { m.certSerial = v }
            if let v = env["COUPON_WECHAT_PRIVATE_KEY_FILE"] { m.privateKeyFile = v }
            if let v = env["COUPON_WECHAT_APIV3_KEY_FILE"] { m.apiV3KeyFile = v }
            if let v = env["COUPON_WECHAT_PUBLIC_KEY_FILE"] { m.publicKeyFile = v }
            if let v = env["COUPON_WECHAT_PUBLIC_KEY_ID"] { m.publicKeyID = v }
            if merchants.isEmpty { merchants.append(m) } else { merchants[0] = m }
            wechat.merchants = merchants
        }
        let zvcmsKeys = ["COUPON_ZVCMS_BASE_URL", "COUPON_ZVCMS_OPEN_ID", "COUPON_ZVCMS_GRANT_CODE", "COUPON_ZVCMS_OPEN_KEY_FILE"]
        if zvcmsKeys.contains(where: { env[$0] != nil }) {
            var accounts = zvcms.accounts ?? []
            var a = accounts.first ?? ZvcmsAccount()
            if let v = env["COUPON_ZVCMS_BASE_URL"] { a.baseURL = v }
            if let v = env["COUPON_ZVCMS_OPEN_ID"] { a.openID = v }
            if let v = env["COUPON_ZVCMS_GRANT_CODE"] { a.grantCode = v }
            if let v = env["COUPON_ZVCMS_OPEN_KEY_FILE"] { a.openKeyFile = v }
            if accounts.isEmpty { accounts.append(a) } else { accounts[0] = a }
            zvcms.accounts = accounts
        }
    }
}
