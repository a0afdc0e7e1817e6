import Foundation
import Testing

@testable import CouponWorkerRuntime

/// `WorkerSettings.load`: the JSON file, then the `COUPON_*` environment over it.
@Suite("Worker settings: file and environment")
struct WorkerSettingsTests {
    static func load(file: String?, environment: [String: String] = [:]) throws -> WorkerSettings {
        try WorkerSettings.load(file: file, environment: environment)
    }

    static func problems(file: String?, environment: [String: String] = [:]) -> [String] {
        do throws(ConfigurationProblems) {
            _ = try WorkerSettings.load(file: file, environment: environment)
            Issue.record("the settings were accepted")
            return []
        } catch {
            return error.lines
        }
    }

    @Test("the file's snake_case keys fill every section")
    func fileIsRead() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", """
            {"kafka":{"brokers":"kafka:9092","group":"g","instance_id":"worker-0","session_timeout_ms":30000,
                      "commit_interval_ms":500},
             "topics":{"issue":"i","query":"q","results":"r","dlq":"d"},
             "store":"sqlite:/data/store.sqlite",
             "http":{"host":"127.0.0.1","port":8081,"admin_token_file":"/run/secrets/admin-token"},
             "worker":{"max_in_flight":64,"lease_seconds":90,"provider_timeout_seconds":5},
             "wechat":{"merchants":[{"mchid":"1900000001","cert_serial":"SERIAL","private_key_file":"/k.pem",
                       "apiv3_key_file":"/v3","backup_base_url":"https://api2.mch.weixin.qq.com","rate_per_second":50}]},
             "zvcms":{"accounts":[{"open_id":"oid","grant_code":"gc","open_key_file":"/ok","rate_per_second":5}]},
             "log":{"format":"json","level":"debug"}}
            """)
        let settings = try Self.load(file: file)
        #expect(settings.kafka.brokers == "kafka:9092")
        #expect(settings.kafka.instanceID == "worker-0")
        #expect(settings.kafka.sessionTimeoutMs == 30000)
        #expect(settings.kafka.commitIntervalMs == 500)
        #expect(settings.topics.dlq == "d")
        #expect(settings.store == "sqlite:/data/store.sqlite")
        #expect(settings.http.port == 8081)
        #expect(settings.http.adminTokenFile == "/run/secrets/admin-token")
        #expect(settings.worker.leaseSeconds == 90)
        #expect(settings.wechat.merchants?.first?.backupBaseURL == "https://api2.mch.weixin.qq.com")
        #expect(settings.wechat.merchants?.first?.ratePerSecond == 50)
        #expect(settings.zvcms.accounts?.first?.openKeyFile == "/ok")
        #expect(settings.log.format == "json")
    }

    @Test("the environment wins over the file, and the file's other values stay")
    func environmentWins() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", """
            {"kafka":{"brokers":"file:9092","group":"file-group"},"http":{"host":"10.0.0.1","port":8081},
             "wechat":{"merchants":[{"mchid":"1900000001","cert_serial":"SERIAL","private_key_file":"/k.pem",
                       "apiv3_key_file":"/v3","rate_per_second":50},{"mchid":"1900000009"}]}}
            """)
        let settings = try Self.load(file: file, environment: [
            "COUPON_KAFKA_BROKERS": "env:9092", "COUPON_HTTP_PORT": "9000", "COUPON_WECHAT_MCHID": "1900000002",
            "COUPON_WECHAT_PUBLIC_KEY_ID": "PUB_KEY_ID_1", "UNRELATED": "x",
        ])
        #expect(settings.kafka.brokers == "env:9092")
        #expect(settings.kafka.group == "file-group")
        #expect(settings.http.port == 9000)
        #expect(settings.http.host == "10.0.0.1")
        // COUPON_WECHAT_* is merged into the first merchant; the second is left alone.
        let merchants = try #require(settings.wechat.merchants)
        #expect(merchants.map(\.mchid) == ["1900000002", "1900000009"])
        #expect(merchants[0].certSerial == "SERIAL")
        #expect(merchants[0].publicKeyID == "PUB_KEY_ID_1")
        #expect(merchants[0].ratePerSecond == 50)
    }

    @Test("without a file, COUPON_ZVCMS_* and COUPON_WECHAT_* create the first profile")
    func environmentCreatesProfiles() throws {
        let settings = try Self.load(file: nil, environment: [
            "COUPON_ZVCMS_OPEN_ID": "oid", "COUPON_ZVCMS_GRANT_CODE": "gc", "COUPON_ZVCMS_OPEN_KEY_FILE": "/ok",
            "COUPON_ZVCMS_BASE_URL": "http://127.0.0.1:9102", "COUPON_WECHAT_MCHID": "1900000001",
        ])
        let account = try #require(settings.zvcms.accounts?.first)
        #expect(settings.zvcms.accounts?.count == 1)
        #expect(account.openID == "oid")
        #expect(account.grantCode == "gc")
        #expect(account.openKeyFile == "/ok")
        #expect(account.baseURL == "http://127.0.0.1:9102")
        #expect(settings.wechat.merchants?.map(\.mchid) == ["1900000001"])
    }

    @Test("librdkafka properties: `_` stands for `.`, each side gets the shared ones then its own")
    func kafkaProperties() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", """
            {"kafka":{"properties":{"security.protocol":"SSL","client.id":"file"},
                      "consumer_properties":{"session.timeout.ms":"10000"},
                      "producer_properties":{"client.id":"producer"}}}
            """)
        let settings = try Self.load(file: file, environment: [
            "COUPON_KAFKA_PROPERTY_security_protocol": "SASL_SSL",
            "COUPON_KAFKA_CONSUMER_PROPERTY_fetch_wait_max_ms": "10",
            "COUPON_KAFKA_PRODUCER_PROPERTY_linger_ms": "1",
        ])
        #expect(settings.kafka.consumer == [
            "security.protocol": "SASL_SSL", "client.id": "file", "session.timeout.ms": "10000", "fetch.wait.max.ms": "10",
        ])
        #expect(settings.kafka.producer == ["security.protocol": "SASL_SSL", "client.id": "producer", "linger.ms": "1"])
    }

    @Test("a file that cannot be read is one problem naming it")
    func unreadableFile() throws {
        let folder = try ConfigFolder()
        let path = folder.missing("config.json")
        #expect(Self.problems(file: path) == ["config file \(path): cannot be read"])
    }

    @Test("a value of the wrong type names its key and type, never the value (it may be a secret)")
    func wrongTypeNamesTheKey() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", #"{"worker":{"lease_seconds":"hunter2-secret"}}"#)
        let lines = Self.problems(file: file)
        #expect(lines == ["config file \(file): worker.lease_seconds: expected Double"])
        #expect(!lines.joined().contains("hunter2"))
    }

    @Test("a file that is not JSON is one problem, without its content")
    func notJSON() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", "brokers = hunter2-secret")
        let lines = Self.problems(file: file)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("config file \(file): ") == true)
        #expect(lines.first?.hasSuffix("not valid JSON") == true)
        #expect(!lines.joined().contains("hunter2"))
    }
}
