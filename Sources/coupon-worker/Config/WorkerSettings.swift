import Foundation

/// Everything `coupon-worker run` reads: one JSON file plus environment overrides.
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
///  "log":{"format":"json|text","level":"info"}}
/// ```
/// Environment (wins over the file): `COUPON_KAFKA_BROKERS`, `COUPON_KAFKA_GROUP`,
/// `COUPON_KAFKA_INSTANCE_ID`, `COUPON_KAFKA_SESSION_TIMEOUT_MS`, `COUPON_KAFKA_COMMIT_INTERVAL_MS`,
/// `COUPON_TOPIC_{ISSUE,QUERY,RESULTS,DLQ}`, `COUPON_STORE`, `COUPON_HTTP_HOST`, `COUPON_HTTP_PORT`,
/// `COUPON_HTTP_ADMIN_TOKEN_FILE`,
/// `COUPON_LOG_FORMAT`, `COUPON_LOG_LEVEL`, `COUPON_WECHAT_*` and `COUPON_ZVCMS_*` (one profile,
/// merged into the first of the file or created), and `COUPON_KAFKA_PROPERTY_<name>` for any
/// librdkafka property (`_` in the name stands for `.`), `COUPON_KAFKA_CONSUMER_PROPERTY_<name>`
/// and `COUPON_KAFKA_PRODUCER_PROPERTY_<name>` for one side only.
struct WorkerSettings: Codable, Sendable {
    struct Kafka: Codable, Sendable {
        var brokers: String?
        var group: String?
        /// `group.instance.id`: static membership, one stable id per instance (README,
        /// "Many instances"). Default none: a dynamic member.
        var instanceID: String?
        /// `session.timeout.ms`. Default 10 s, or 30 s with an instance id: a static member's
        /// restart must fit inside it.
        var sessionTimeoutMs: Int?
        /// `auto.commit.interval.ms`: how often stored offsets are committed. Default 1000.
        var commitIntervalMs: Int?
        /// librdkafka properties for both the consumer and the producer.
        var properties: [String: String]?
        /// Consumer-only properties (`session.timeout.ms`, …): given to the producer they
        /// are ignored with a CONFWARN.
        var consumerProperties: [String: String]?
        /// Producer-only properties (`linger.ms`, `compression.type`, …).
        var producerProperties: [String: String]?

        enum CodingKeys: String, CodingKey {
            case brokers, group, properties
            case instanceID = "instance_id", sessionTimeoutMs = "session_timeout_ms", commitIntervalMs = "commit_interval_ms"
            case consumerProperties = "consumer_properties", producerProperties = "producer_properties"
        }

        /// What the consumer is given: the shared properties, then its own.
        var consumer: [String: String] { (properties ?? [:]).merging(consumerProperties ?? [:]) { _, own in own } }
        /// What the producer is given: the shared properties, then its own.
        var producer: [String: String] { (properties ?? [:]).merging(producerProperties ?? [:]) { _, own in own } }
    }

    struct Topics: Codable, Sendable {
        var issue: String?
        var query: String?
        var results: String?
        var dlq: String?
    }

    /// The side port (`SidePort`).
    struct HTTP: Codable, Sendable {
        /// The address to listen on (default `0.0.0.0`: probes and Prometheus reach the pod's IP).
        var host: String?
        var port: Int?
        /// The file holding the bearer token that opens `/requests/{out_request_no}`; without
        /// one that endpoint does not exist (`AdminToken`).
        var adminTokenFile: String?

        enum CodingKeys: String, CodingKey {
            case host, port, adminTokenFile = "admin_token_file"
        }
    }

    struct Worker: Codable, Sendable {
        var maxInFlight: Int?
        var maxAttempts: Int?
        var retryBudgetSeconds: Double?
        var leaseSeconds: Double?
        var providerTimeoutSeconds: Double?
        var shutdownGraceSeconds: Double?
        var revokeGraceSeconds: Double?
        var partitionBuffer: Int?
        var recordRetentionDays: Double?
        var purgeIntervalSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case maxInFlight = "max_in_flight", maxAttempts = "max_attempts"
            case retryBudgetSeconds = "retry_budget_seconds", leaseSeconds = "lease_seconds"
            case providerTimeoutSeconds = "provider_timeout_seconds"
            case shutdownGraceSeconds = "shutdown_grace_seconds", partitionBuffer = "partition_buffer"
            case revokeGraceSeconds = "revoke_grace_seconds", recordRetentionDays = "record_retention_days"
            case purgeIntervalSeconds = "purge_interval_seconds"
        }
    }

    struct WeChatMerchant: Codable, Sendable {
        var mchid: String?
        var baseURL: String?
        var backupBaseURL: String?
        var certSerial: String?
        var privateKeyFile: String?
        var apiV3KeyFile: String?
        var publicKeyFile: String?
        var publicKeyID: String?
        var ratePerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case mchid, baseURL = "base_url", backupBaseURL = "backup_base_url", certSerial = "cert_serial"
            case privateKeyFile = "private_key_file", apiV3KeyFile = "apiv3_key_file"
            case publicKeyFile = "public_key_file", publicKeyID = "public_key_id", ratePerSecond = "rate_per_second"
        }
    }

    struct WeChat: Codable, Sendable {
        var merchants: [WeChatMerchant]?
    }

    struct ZvcmsAccount: Codable, Sendable {
        var openID: String?
        var grantCode: String?
        var openKeyFile: String?
        var baseURL: String?
        var ratePerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case openID = "open_id", grantCode = "grant_code", openKeyFile = "open_key_file"
            case baseURL = "base_url", ratePerSecond = "rate_per_second"
        }
    }

    struct Zvcms: Codable, Sendable {
        var accounts: [ZvcmsAccount]?
    }

    struct Log: Codable, Sendable {
        var format: String?
        var level: String?
    }

    var kafka = Kafka()
    var topics = Topics()
    var store: String?
    var http = HTTP()
    var worker = Worker()
    var wechat = WeChat()
    var zvcms = Zvcms()
    var log = Log()

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kafka = try c.decodeIfPresent(Kafka.self, forKey: .kafka) ?? Kafka()
        topics = try c.decodeIfPresent(Topics.self, forKey: .topics) ?? Topics()
        store = try c.decodeIfPresent(String.self, forKey: .store)
        http = try c.decodeIfPresent(HTTP.self, forKey: .http) ?? HTTP()
        worker = try c.decodeIfPresent(Worker.self, forKey: .worker) ?? Worker()
        wechat = try c.decodeIfPresent(WeChat.self, forKey: .wechat) ?? WeChat()
        zvcms = try c.decodeIfPresent(Zvcms.self, forKey: .zvcms) ?? Zvcms()
        log = try c.decodeIfPresent(Log.self, forKey: .log) ?? Log()
    }

    /// Reads `file` (when given) and applies `environment` on top.
    static func load(file: String?, environment: [String: String]) throws(ConfigurationProblems) -> WorkerSettings {
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
    mutating func apply(environment env: [String: String]) {
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

/// Everything wrong with a configuration, one line per problem, never a secret.
struct ConfigurationProblems: Error, CustomStringConvertible {
    var lines: [String]

    init(_ lines: [String]) { self.lines = lines }

    var description: String { lines.map { "config: \($0)" }.joined(separator: "\n") }
}

extension DecodingError {
    /// Where and what, without the value (it may be a secret).
    var shortDescription: String {
        func path(_ context: Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): missing \(type)"
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue): missing"
        case .dataCorrupted(let context): return "\(path(context)): not valid JSON"
        @unknown default: return "not valid"
        }
    }
}
