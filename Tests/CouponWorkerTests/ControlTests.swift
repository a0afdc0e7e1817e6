import AsyncHTTPClient
import CouponSandbox
import Foundation
import Kafka
import Logging
import NIOCore
import TestSupport
import Testing
import WeChatPay
import Zvcms

#if canImport(Glibc)
import Glibc
#endif

/// The fault-injection control APIs of `dev-kafka --control-port` and `sandbox --admin-port`,
/// driven the way the reliability suite drives them: the built binary in its own process,
/// its announced lines read from a pipe, the API called over real HTTP.
@Suite("Control APIs of dev-kafka and sandbox", .serialized, .timeLimit(.minutes(3)))
struct ControlTests {
    // MARK: dev-kafka

    @Test("dev-kafka announces its bootstrap servers then its control URL first, and GET / describes the cluster")
    func devKafkaAnnouncesAndDescribes() async throws {
        try await DevKafkaProcess.withRunning(brokers: 3) { kafka in
            #expect(kafka.announced[0] == "bootstrap servers: \(kafka.bootstrapServers)")
            #expect(kafka.announced[1].hasPrefix("control: http://127.0.0.1:"))
            let description = try await kafka.control.get("/")
            #expect(description.status == 200)
            struct Cluster: Decodable {
                var bootstrap_servers: String
                var brokers: [Int]
            }
            let cluster = try JSONDecoder().decode(Cluster.self, from: Data(description.body.utf8))
            #expect(cluster.bootstrap_servers == kafka.bootstrapServers)
            #expect(cluster.brokers == [1, 2, 3])
        }
    }

    @Test("a broker taken down drops its connections and refuses new ones; brought up, it answers again")
    func brokerDownAndUp() async throws {
        try await DevKafkaProcess.withRunning(brokers: 3) { kafka in
            // The mock lists its brokers in id order in the bootstrap string.
            let broker2 = kafka.brokerPorts[1]
            let connection = try KafkaProbe.connect(port: broker2)
            #expect(try connection.askApiVersions() == .answered)

            #expect(try await kafka.control.post("/brokers/2/down").status == 204)
            // Event, not time: the broker closes the connection it had.
            #expect(try connection.askApiVersions() == .closed)
            connection.close()
            #expect(throws: KafkaProbe.ConnectError.refused) { try KafkaProbe.connect(port: broker2) }
            // The other brokers are unaffected.
            let neighbour = try KafkaProbe.connect(port: kafka.brokerPorts[0])
            #expect(try neighbour.askApiVersions() == .answered)
            neighbour.close()

            #expect(try await kafka.control.post("/brokers/2/up").status == 204)
            let again = try KafkaProbe.connect(port: broker2)
            #expect(try again.askApiVersions() == .answered)
            again.close()
        }
    }

    @Test("an injected request error fails the next produce with exactly that error, then produce works again")
    func produceFailsWithInjectedError() async throws {
        try await DevKafkaProcess.withRunning(brokers: 1) { kafka in
            let topic = MockKafka.uniqueName("control")
            #expect(try await kafka.control.post("/topics", json: #"{"name":"\#(topic)","partitions":1}"#).status == 204)

            var configuration = KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers)
            // Not idempotent: a permanent produce error then fails the record instead of the producer.
            configuration.idempotent = false
            var logger = Logger(label: "control-tests")
            logger.logLevel = .critical  // the injected error is logged by librdkafka as expected noise
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            try await producer.warmUp(topics: [topic])
            func send(_ text: String) async throws(KafkaError) -> KafkaDeliveryReport {
                try await producer.send(KafkaOutgoingMessage(topic: topic, key: Array("k".utf8), value: Array(text.utf8)))
            }

            // A permanent error, so librdkafka reports it instead of retrying it away (as it
            // does with NOT_LEADER_FOR_PARTITION and the other retriable ones).
            let inject = #"{"request":"produce","errors":["MSG_SIZE_TOO_LARGE"]}"#
            #expect(try await kafka.control.post("/request-errors", json: inject).status == 204)
            let failure = await #expect(throws: KafkaError.self) { try await send("first") }
            #expect(failure?.code == .messageSizeTooLarge)

            let report = try await send("second")
            #expect(report.topic == topic)
            await producer.shutdown(timeout: .seconds(5))
        }
    }

    @Test("dev-kafka moves group coordinators and creates topics, and refuses unknown names, brokers and bodies with a reason")
    func devKafkaAnswersEveryEndpoint() async throws {
        try await DevKafkaProcess.withRunning(brokers: 3) { kafka in
            let control = kafka.control
            #expect(try await control.post("/groups/coupon-workers/coordinator/3").status == 204)
            let topic = #"{"name":"control-created","partitions":4}"#
            #expect(try await control.post("/topics", json: topic).status == 204)
            #expect(try await control.post("/topics", json: topic).status == 409)

            let unknownError = try await control.post("/request-errors", json: #"{"request":"fetch","errors":["NO_SUCH_ERROR"]}"#)
            #expect(unknownError.status == 400)
            #expect(unknownError.body.contains("NO_SUCH_ERROR"))
            let unknownRequest = try await control.post("/request-errors", json: #"{"request":"teleport","errors":[]}"#)
            #expect(unknownRequest.status == 400)
            #expect(unknownRequest.body.contains("teleport"))
            let every = [
                "produce", "fetch", "offset_commit", "join_group", "heartbeat", "sync_group", "metadata",
                "find_coordinator", "list_offsets", "offset_fetch",
            ]
            for request in every {
                // Errors an idle cluster never consumes: nothing talks to it in this test.
                let body = #"{"request":"\#(request)","errors":["REQUEST_TIMED_OUT","COORDINATOR_NOT_AVAILABLE","NOT_COORDINATOR","REBALANCE_IN_PROGRESS"]}"#
                #expect(try await control.post("/request-errors", json: body).status == 204, "\(request)")
            }
            #expect(try await control.post("/brokers/4/down").status == 404)
            #expect(try await control.post("/groups/g/coordinator/0").status == 404)
            let missingField = try await control.post("/topics", json: #"{"name":"t"}"#)
            #expect(missingField.status == 400)
            #expect(missingField.body.contains("partitions"))
            #expect(try await control.post("/topics", json: "{not json").status == 400)
        }
    }

    // MARK: sandbox

    @Test("sandbox announces its admin URL; a fault mix makes requests fail and DELETE /faults heals both providers")
    func sandboxMixAndClear() async throws {
        try await SandboxProcess.withRunning { sandbox in
            let urls = try await sandbox.admin.get("/")
            #expect(urls.status == 200)
            #expect(urls.body.contains(sandbox.wechatBaseURL))
            #expect(urls.body.contains(sandbox.zvcmsBaseURL))
            // Healthy: unsigned calls are refused by each provider's own checks.
            let healthyWeChat = try await sandbox.callWeChat()
            #expect((400...401).contains(healthyWeChat))
            #expect(try await sandbox.callZvcms() == 405)

            let mix = #"""
                {"provider":"both","mix":[{"fault":"http_status","status":503,"probability":1.0},
                 {"fault":"connection_reset","probability":0.0}],"latency_ms":0}
                """#
            #expect(try await sandbox.admin.post("/faults", json: mix).status == 204)
            #expect(try await sandbox.callWeChat() == 503)
            #expect(try await sandbox.callZvcms() == 503)

            let zvcmsOnly = #"{"provider":"zvcms","mix":[{"fault":"http_status","status":429,"probability":1}]}"#
            #expect(try await sandbox.admin.post("/faults", json: zvcmsOnly).status == 204)
            #expect(try await sandbox.callZvcms() == 429)
            #expect(try await sandbox.callWeChat() == 503)

            #expect(try await sandbox.admin.delete("/faults").status == 204)
            #expect(try await sandbox.callWeChat() == healthyWeChat)
            #expect(try await sandbox.callZvcms() == 405)
        }
    }

    @Test("an injected fault hits only the next matching requests, as many times as asked")
    func sandboxInject() async throws {
        try await SandboxProcess.withRunning { sandbox in
            let inject = #"""
                {"provider":"wechat","fault":{"fault":"http_status","status":500},"times":2,
                 "path_contains":"product-coupons/send"}
                """#
            let send = "/v3/marketing/busifavor/product-coupons/send"
            let healthyCertificates = try await sandbox.callWeChat(path: "/v3/certificates")
            let healthySend = try await sandbox.callWeChat(path: send)
            #expect(healthySend != 500)
            #expect(try await sandbox.admin.post("/faults/inject", json: inject).status == 204)
            #expect(try await sandbox.callWeChat(path: "/v3/certificates") == healthyCertificates)
            #expect(try await sandbox.callWeChat(path: send) == 500)
            #expect(try await sandbox.callWeChat(path: send) == 500)
            #expect(try await sandbox.callWeChat(path: send) == healthySend)

            let reset = #"{"provider":"zvcms","fault":{"fault":"connection_reset"}}"#
            #expect(try await sandbox.admin.post("/faults/inject", json: reset).status == 204)
            await #expect(throws: (any Error).self) { try await sandbox.callZvcms() }
            #expect(try await sandbox.callZvcms() == 405)
        }
    }

    @Test("GET /issuances counts every out_request_no each provider really issued, repeats included")
    func sandboxReportsIssuances() async throws {
        try await SandboxProcess.withRunning { sandbox in
            #expect(try await sandbox.issuances() == .init(wechat: [:], zvcms: [:]))
            let ids = ProviderSandboxes.Identities.self

            let zvcms = ZvcmsClient(
                account: try ZvcmsAccount.load(
                    openID: ids.zvcmsOpenID, grantCode: ids.zvcmsGrantCode, openKeyFile: sandbox.keyFile("zvcms_open_key"),
                    baseURL: sandbox.zvcmsBaseURL),
                httpClient: .shared)
            let issue = CouponIssueRequest(bizID: "CTL-Z-1", couponID: ids.zvcmsCouponID, customerID: ids.zvcmsCustomerID)
            _ = try await zvcms.issueCoupons(issue)
            _ = try await zvcms.issueCoupons(issue)  // zvcms never dedupes: a second coupon

            let wechat = WeChatPayClient(
                profile: try WeChatMerchantProfile.load(
                    mchid: ids.mchid, certificateSerial: ids.certificateSerial,
                    privateKeyFile: sandbox.keyFile("apiclient_key.pem"), apiV3KeyFile: sandbox.keyFile("apiv3_key"),
                    publicKeyFile: sandbox.keyFile("wechatpay_public_key.pem"), publicKeyID: ids.publicKeyID,
                    baseURL: sandbox.wechatBaseURL))
            let send = SendProductCouponRequest(openid: "o-control", appid: ids.appid, stockID: ids.stockID, outRequestNo: "CTL-W-1")
            _ = try await wechat.sendProductCoupon(send)
            _ = try await wechat.sendProductCoupon(send)  // --forget-duplicates: issued again

            #expect(try await sandbox.issuances() == .init(wechat: ["CTL-W-1": 2], zvcms: ["CTL-Z-1": 2]))
        }
    }

    @Test("the sandbox admin API refuses a bad fault request and says which field is wrong")
    func sandboxRefusesBadRequests() async throws {
        try await SandboxProcess.withRunning { sandbox in
            let healthyWeChat = try await sandbox.callWeChat()
            let cases: [(body: String, mentions: String)] = [
                (#"{"provider":"both","mix":[{"fault":"meteor","probability":0.1}]}"#, "meteor"),
                (#"{"provider":"both","mix":[{"fault":"wrong_signature"}]}"#, "probability"),
                (#"{"provider":"both","mix":[{"fault":"http_status","probability":0.1}]}"#, "status"),
                (#"{"provider":"both","mix":[{"fault":"clock_skew","seconds":400,"probability":2}]}"#, "probability"),
                (#"{"provider":"alipay","mix":[]}"#, "provider"),
            ]
            for (body, mention) in cases {
                let answer = try await sandbox.admin.post("/faults", json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.body.contains(mention), "\(answer.body)")
            }
            let noTimes = #"{"provider":"wechat","fault":{"fault":"timeout_after_processing"},"times":0}"#
            #expect(try await sandbox.admin.post("/faults/inject", json: noTimes).status == 400)
            // Nothing was applied: the providers are healthy.
            #expect(try await sandbox.callWeChat() == healthyWeChat)
        }
    }
}

// MARK: - Fixtures

/// A control API of a child process, called over real HTTP.
struct ControlEndpoint: Sendable {
    let baseURL: String

    func get(_ path: String) async throws -> (status: UInt, body: String) {
        try await send(HTTPClientRequest(url: baseURL + path))
    }

    func post(_ path: String, json: String? = nil) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        return try await send(request)
    }

    func delete(_ path: String) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .DELETE
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> (status: UInt, body: String) {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }
}

/// `coupon-worker dev-kafka --control-port 0` in its own process.
struct DevKafkaProcess {
    let child: ChildProcess
    /// The first two lines it printed.
    let announced: [String]
    let bootstrapServers: String
    /// Broker ports in broker-id order.
    let brokerPorts: [Int]
    let control: ControlEndpoint

    /// Starts it, runs `body`, then stops it with SIGTERM and expects a clean exit.
    static func withRunning(brokers: Int, _ body: (DevKafkaProcess) async throws -> Void) async throws {
        let child = try ChildProcess(["dev-kafka", "--brokers", "\(brokers)", "--partitions", "1", "--control-port", "0"])
        try await child.stoppedAfter {
            var lines = child.lines.makeAsyncIterator()
            let first = try #require(await lines.next())
            let second = try #require(await lines.next())
            let bootstrapPrefix = "bootstrap servers: ", controlPrefix = "control: http://127.0.0.1:"
            try #require(first.hasPrefix(bootstrapPrefix), "\(first)")
            try #require(second.hasPrefix(controlPrefix), "\(second)")
            let bootstrapServers = String(first.dropFirst(bootstrapPrefix.count))
            let ports = bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
            let process = DevKafkaProcess(
                child: child, announced: [first, second], bootstrapServers: bootstrapServers, brokerPorts: ports,
                control: ControlEndpoint(baseURL: String(second.dropFirst("control: ".count))))
            try await body(process)
        }
    }
}

/// `coupon-worker sandbox --forget-duplicates --admin-port 0` in its own process, on free ports.
struct SandboxProcess {
    let child: ChildProcess
    let keysDirectory: URL
    let wechatBaseURL: String
    let zvcmsBaseURL: String
    let admin: ControlEndpoint

    struct Issuances: Decodable, Equatable {
        var wechat: [String: Int]
        var zvcms: [String: Int]
    }

    /// Starts it, runs `body`, then stops it with SIGTERM and expects a clean exit.
    static func withRunning(_ body: (SandboxProcess) async throws -> Void) async throws {
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: keys) }
        let child = try ChildProcess([
            "sandbox", "--wechat-port", "0", "--zvcms-port", "0", "--keys-dir", keys.path, "--forget-duplicates",
            "--admin-port", "0",
        ])
        try await child.stoppedAfter {
            var wechat: String?, zvcms: String?, admin: String?
            for await line in child.lines {
                if line.hasPrefix("  COUPON_WECHAT_BASE_URL=") { wechat = String(line.split(separator: "=")[1]) }
                if line.hasPrefix("  COUPON_ZVCMS_BASE_URL=") { zvcms = String(line.split(separator: "=")[1]) }
                if line.hasPrefix("admin: ") {
                    admin = String(line.dropFirst("admin: ".count))
                    break
                }
            }
            let process = SandboxProcess(
                child: child, keysDirectory: keys, wechatBaseURL: try #require(wechat), zvcmsBaseURL: try #require(zvcms),
                admin: ControlEndpoint(baseURL: try #require(admin)))
            try #require(process.admin.baseURL.hasPrefix("http://127.0.0.1:"))
            try await body(process)
        }
    }

    func keyFile(_ name: String) -> String { keysDirectory.appendingPathComponent(name).path }

    func issuances() async throws -> Issuances {
        let answer = try await admin.get("/issuances")
        try #require(answer.status == 200)
        return try JSONDecoder().decode(Issuances.self, from: Data(answer.body.utf8))
    }

    /// The status of an unsigned GET to WeChat Pay (its authentication refusal when no fault intervenes).
    func callWeChat(path: String = "/v3/certificates") async throws -> UInt {
        try await ControlEndpoint(baseURL: wechatBaseURL).get(path).status
    }

    /// The status of a GET to zvcms (405, "POST only", when no fault intervenes).
    func callZvcms() async throws -> UInt {
        try await ControlEndpoint(baseURL: zvcmsBaseURL).get("/v3/crm/coupon/issue").status
    }
}

extension ChildProcess {
    /// Runs `body`, then stops the process with SIGTERM, whatever happened; when `body`
    /// succeeded, the process must exit cleanly (status 0).
    func stoppedAfter(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            terminate()
            _ = await waitForExit()
            throw error
        }
        terminate()
        #expect(await waitForExit() == 0)
    }
}

/// One raw Kafka connection, to see what a broker does without a client's retries hiding it:
/// an ApiVersions v0 request either gets its answer or finds the connection closed.
final class KafkaProbe {
    enum Outcome: Equatable { case answered, closed }

    enum ConnectError: Error, Equatable {
        case refused
        case failed(errno: Int32)
    }

    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to a broker on 127.0.0.1; a broker that is down refuses.
    static func connect(port: Int) throws(ConnectError) -> KafkaProbe {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw .failed(errno: errno) }
        // A bound on every read, so a silent broker fails the test instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw code == ECONNREFUSED ? .refused : .failed(errno: code)
        }
        return KafkaProbe(descriptor: descriptor)
    }

    /// Sends ApiVersions v0 and reads the answer's size and correlation id.
    func askApiVersions() throws -> Outcome {
        let clientID = Array("control-probe".utf8)
        var request: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { request.append(contentsOf: $0) } }
        append(Int32(2 + 2 + 4 + 2 + clientID.count))
        append(Int16(18))  // ApiVersions
        append(Int16(0))
        append(Int32(42))  // correlation id
        append(Int16(clientID.count))
        request.append(contentsOf: clientID)
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return .closed }

        // The whole answer is read, so the connection can be asked again.
        guard let size = try read(4) else { return .closed }
        let length = Int(size.reduce(Int32(0)) { $0 << 8 | Int32($1) })
        guard length >= 4, let answer = try read(length) else { return .closed }
        let correlationID = answer[0..<4].reduce(Int32(0)) { $0 << 8 | Int32($1) }
        return correlationID == 42 ? .answered : .closed
    }

    struct ReadFailed: Error {
        var errno: Int32
    }

    /// Exactly `count` bytes, or nil when the broker closed the connection first.
    private func read(_ count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let result = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + received, count - received, 0) }
            if result == 0 { return nil }
            if result < 0 {
                if errno == ECONNRESET { return nil }
                throw ReadFailed(errno: errno)
            }
            received += result
        }
        return bytes
    }

    func close() { Glibc.close(descriptor) }
}
