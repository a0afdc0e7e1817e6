import Foundation
import Logging
import Testing

@testable import CouponWorkerRuntime

/// What `WorkerRuntime.assemble` refuses: every problem of a configuration at once, one line
/// each, before anything is opened (`coupon-worker run` prints them and exits 78).
@Suite("Worker settings: validation")
struct ConfigValidationTests {
    static let openKey = "zvcms-open-key-secret-0001"

    /// The problems `assemble` reports for `settings`; a test fails if it accepts them.
    static func problems(_ settings: WorkerSettings) async -> [String] {
        do throws(ConfigurationProblems) {
            let parts = try await WorkerRuntime.assemble(settings: settings, logger: Logger(label: "config-validation"))
            await parts.release()
            Issue.record("the settings were accepted")
            return []
        } catch {
            return error.lines
        }
    }

    /// Settings with nothing wrong but what a test changes: brokers and one zvcms account
    /// whose key file exists.
    static func valid(in folder: ConfigFolder) throws -> WorkerSettings {
        var settings = WorkerSettings()
        settings.kafka.brokers = "127.0.0.1:9"
        settings.store = "sqlite:\(folder.missing("store.sqlite"))"
        settings.zvcms.accounts = [.init(
            openID: "oid", grantCode: "gc", openKeyFile: try folder.write("open-key", openKey + "\n"),
            baseURL: "http://127.0.0.1:9")]
        return settings
    }

    @Test("empty settings: brokers and a provider profile are required, both reported at once")
    func emptySettings() async {
        #expect(await Self.problems(WorkerSettings()) == [
            "kafka.brokers (COUPON_KAFKA_BROKERS) is required",
            "no provider profile: configure wechat.merchants or zvcms.accounts (or COUPON_WECHAT_* / COUPON_ZVCMS_*)",
        ])
    }

    @Test("out-of-range and malformed values from the environment: one line each, naming the variable")
    func outOfRangeValues() async throws {
        let folder = try ConfigFolder()
        var settings = try Self.valid(in: folder)
        settings.worker.shutdownGraceSeconds = 0
        settings.apply(environment: [
            "COUPON_STORE": "mysql://db/coupon", "COUPON_HTTP_HOST": "", "COUPON_KAFKA_INSTANCE_ID": "",
            "COUPON_KAFKA_SESSION_TIMEOUT_MS": "5999", "COUPON_KAFKA_COMMIT_INTERVAL_MS": "ten",
            "COUPON_HTTP_PORT": "eighty",
        ])
        #expect(await Self.problems(settings) == [
            "store (COUPON_STORE) must be sqlite:PATH or a postgres:// URL",
            "http.host (COUPON_HTTP_HOST) must be an address or host name",
            "kafka.instance_id (COUPON_KAFKA_INSTANCE_ID) must be 1 to 249 characters",
            "kafka.session_timeout_ms (COUPON_KAFKA_SESSION_TIMEOUT_MS) must be 6000 to 300000",
            "kafka.commit_interval_ms (COUPON_KAFKA_COMMIT_INTERVAL_MS) must be 100 to 60000",
            "http.port (COUPON_HTTP_PORT) must be a port number",
            "worker.shutdown_grace_seconds must be positive",
        ])
    }

    @Test("the bounds themselves are accepted: session timeout 6000 and 300000, commit interval 100")
    func boundsAreAccepted() async throws {
        let folder = try ConfigFolder()
        for (session, commit) in [(6_000, 100), (300_000, 60_000)] {
            var settings = try Self.valid(in: folder)
            settings.kafka.brokers = nil  // one known problem, so nothing is opened
            settings.kafka.sessionTimeoutMs = session
            settings.kafka.commitIntervalMs = commit
            #expect(await Self.problems(settings) == ["kafka.brokers (COUPON_KAFKA_BROKERS) is required"])
        }
    }

    @Test("a lease no longer than one provider attempt is refused; a longer one is not")
    func leaseMustOutlastAnAttempt() async throws {
        let folder = try ConfigFolder()
        var settings = try Self.valid(in: folder)
        settings.worker.providerTimeoutSeconds = 10
        settings.worker.leaseSeconds = 10
        #expect(await Self.problems(settings) == [
            "worker.lease_seconds (10 s) must exceed the worst case of one provider attempt (10 s: every host, "
                + "re-signing and key download, each up to provider_timeout_seconds); raise lease_seconds or lower "
                + "provider_timeout_seconds",
        ])
        settings.worker.leaseSeconds = 10.5
        settings.kafka.brokers = nil  // one known problem, so nothing is opened
        #expect(await Self.problems(settings) == ["kafka.brokers (COUPON_KAFKA_BROKERS) is required"])
    }

    @Test("profiles: missing fields and an unreadable key file are named by index and id, never the key")
    func profileProblems() async throws {
        let folder = try ConfigFolder()
        var settings = try Self.valid(in: folder)
        let missingKey = folder.missing("no-such-key")
        settings.zvcms.accounts?.append(.init(openID: "oid-2", grantCode: "gc", openKeyFile: missingKey))
        settings.zvcms.accounts?.append(.init(openID: "oid-3"))
        settings.wechat.merchants = [.init(mchid: "1900000001")]
        let lines = await Self.problems(settings)
        #expect(lines.count == 3)
        #expect(lines.contains("wechat.merchants[0]: mchid, cert_serial, private_key_file and apiv3_key_file are required"))
        #expect(lines.contains { $0.hasPrefix("zvcms.accounts[1] (oid-2): cannot read zvcms openKey file \(missingKey)") })
        #expect(lines.contains("zvcms.accounts[2]: open_id, grant_code and open_key_file are required"))
        #expect(!lines.joined().contains(Self.openKey))
    }

    @Test("an admin token file that is empty or missing stops the start, naming the file")
    func adminTokenFile() async throws {
        let folder = try ConfigFolder()
        var settings = try Self.valid(in: folder)
        settings.kafka.brokers = nil
        let empty = try folder.write("admin-token", " \n")
        settings.http.adminTokenFile = empty
        #expect(await Self.problems(settings) == [
            "kafka.brokers (COUPON_KAFKA_BROKERS) is required",
            "http.admin_token_file (COUPON_HTTP_ADMIN_TOKEN_FILE) \(empty): is empty",
        ])
        let missing = folder.missing("absent-token")
        settings.http.adminTokenFile = missing
        #expect(await Self.problems(settings) == [
            "kafka.brokers (COUPON_KAFKA_BROKERS) is required",
            "http.admin_token_file (COUPON_HTTP_ADMIN_TOKEN_FILE) \(missing): cannot be read",
        ])
    }
}
