import AsyncHTTPClient
import CouponSandbox
import Foundation
import NIOCore
import TestSupport
import Testing

/// The operator port of `coupon-worker run`, through the built binary on loopback.
extension ExecutableTests {
    @Test("an unreadable or empty admin token file stops the start with one config line and exit 78")
    func adminTokenFileProblemsStopTheStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let openKey = folder.appendingPathComponent("open_key")
        try "fake-open-key-for-test-only-0001\n".write(to: openKey, atomically: true, encoding: .utf8)
        let blank = folder.appendingPathComponent("blank-token")
        try " \n\n".write(to: blank, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("config.json")
        try """
            {"kafka":{"brokers":"127.0.0.1:1"},"store":"sqlite:\(folder.path)/store.sqlite",
             "http":{"host":"127.0.0.1","admin_token_file":"\(folder.path)/missing-token"},
             "zvcms":{"accounts":[{"open_id":"o","grant_code":"g","open_key_file":"\(openKey.path)"}]}}
            """.write(to: config, atomically: true, encoding: .utf8)

        for (environment, expected) in [([:], "missing-token: cannot be read"),
                                        (["COUPON_HTTP_ADMIN_TOKEN_FILE": blank.path], "blank-token: is empty")] {
            let child = try ChildProcess(["run", "--config", config.path], environment: environment)
            let status = await child.waitForExit(terminatingAfter: .seconds(60))
            let lines = await child.standardError().split(separator: "\n").map(String.init)
            #expect(status == 78)
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.hasPrefix("config: http.admin_token_file (COUPON_HTTP_ADMIN_TOKEN_FILE) ") == true, "\(lines)")
            #expect(lines.first?.hasSuffix(expected) == true, "\(lines)")
        }
    }

    @Test("without an admin token /requests does not exist: 404 exactly like an unknown path, token or not")
    func requestsEndpointIsAbsentWithoutAToken() async throws {
        try await RunningWorker.withRunning(adminToken: nil) { worker in
            let key = try await worker.processWeChatIssue()
            let unknown = try await worker.side.get("/no-such-path")
            #expect(unknown.status == 404)
            for bearer in [nil, "anything"] {
                let answer = try await worker.side.get("/requests/\(key)", bearer: bearer)
                #expect(answer.status == unknown.status)
                #expect(answer.body == unknown.body)
            }
        }
    }

    @Test("with an admin token /requests answers the right bearer token only; 401s are empty and counted; the token is never logged")
    func requestsEndpointNeedsTheBearerToken() async throws {
        let token = "admin-" + UUID().uuidString + "-" + UUID().uuidString
        let output = try await RunningWorker.withRunning(adminToken: token) { worker in
            let key = try await worker.processWeChatIssue()
            #expect(try await worker.side.metric("coupon_admin_unauthorized_total") == 0)
            for bearer in [nil, "wrong-\(token)", String(token.dropLast())] {
                let refused = try await worker.side.get("/requests/\(key)", bearer: bearer)
                #expect(refused.status == 401)
                #expect(refused.body.isEmpty)
                #expect(refused.authenticate == "Bearer")
            }
            let basic = try await worker.side.get("/requests/\(key)", authorization: "Basic \(token)")
            #expect(basic.status == 401)
            let record = try await worker.side.get("/requests/\(key)", bearer: token)
            #expect(record.status == 200)
            #expect(record.body.contains(#""out_request_no":"\#(key)""#))
            #expect(record.body.contains(#""state":"final""#))
            #expect(try await worker.side.get("/requests/NOT-THERE", bearer: token).status == 404)
            let metrics = try await worker.side.get("/metrics").body
            #expect(try await worker.side.metric("coupon_admin_unauthorized_total") == 4)
            #expect(!metrics.contains(token))
        }
        #expect(output.contains("Server started and listening"))  // the logs were captured
        #expect(!output.contains(token))
    }

    @Test("/healthz, /readyz and /metrics carry no out_request_no, openid or customer id after commands were processed and read")
    func openEndpointsCarryNoCustomerData() async throws {
        let token = "admin-" + UUID().uuidString
        try await RunningWorker.withRunning(adminToken: token) { worker in
            let openid = "oEXE" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)
            let wechatKey = try await worker.processWeChatIssue(openid: openid)
            let zvcmsKey = "EXE-Z-" + UUID().uuidString.prefix(8)
            try await worker.harness.send(WorkerHarness.zvcmsIssue(zvcmsKey), key: zvcmsKey)
            try await worker.harness.downstream.wait(distinctResults: 2)
            // An operator reading the records must not leave them behind either.
            for key in [wechatKey, zvcmsKey] {
                #expect(try await worker.side.get("/requests/\(key)", bearer: token).status == 200)
            }
            let customerData = [wechatKey, zvcmsKey, openid, ProviderSandboxes.Identities.zvcmsCustomerID]
            let metrics = try await worker.side.get("/metrics")
            #expect(metrics.body.contains("coupon_results_total"))  // the commands were counted
            for path in ["/healthz", "/readyz", "/metrics"] {
                let answer = try await worker.side.get(path)
                #expect(answer.status == 200, "\(path)")
                for value in customerData {
                    #expect(!answer.body.contains(value), "\(path) shows \(value)")
                }
            }
        }
    }

    @Test("the side port refuses bodies (413) and oversized headers (400), closes idle connections, and answers /healthz within 5 s past 200 idle ones")
    func sidePortHoldsNothingForLong() async throws {
        try await RunningWorker.withRunning(adminToken: nil) { worker in
            let port = worker.port
            let post = try RawConnection(port: port)
            post.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            #expect(await post.response()?.hasPrefix("HTTP/1.1 413") == true)
            let chunked = try RawConnection(port: port)
            chunked.send("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            #expect(await chunked.response()?.hasPrefix("HTTP/1.1 413") == true)
            // The body refusal keeps order: a GET before it on the same connection is answered first.
            let pipelined = try RawConnection(port: port)
            pipelined.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
            let answers = try #require(await pipelined.response())
            #expect(answers.hasPrefix("HTTP/1.1 200"), "\(answers)")
            #expect(answers.contains("HTTP/1.1 413"), "\(answers)")
            let large = try RawConnection(port: port)
            large.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 20_000))\r\n\r\n")
            // 400 and closed; the close may reset the connection before the 400 is read (the rest of
            // the head was never read), so "closed with nothing" passes too, but never a 200.
            let refusal = try #require(await large.response(), "the oversized head was not refused")
            #expect(refusal.hasPrefix("HTTP/1.1 400") || refusal.isEmpty, "\(refusal)")
            let plain = try RawConnection(port: port)
            plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            #expect(await plain.response(untilClosed: false)?.hasPrefix("HTTP/1.1 200") == true)

            // 190 connections that never send, 10 that never finish their request head.
            var idle: [RawConnection] = []
            for index in 0..<200 {
                let connection = try RawConnection(port: port)
                if index % 20 == 0 { connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
                idle.append(connection)
            }
            let started = ContinuousClock.now
            #expect(try await worker.side.get("/healthz", timeout: .seconds(5)).status == 200)
            #expect(ContinuousClock.now - started < .seconds(5))
            // Every one is closed by the server (end of stream) within 30 s (the idle timeout is 10 s).
            let deadline = ContinuousClock.now + .seconds(30)
            var closed = 0
            for connection in idle where await connection.closedByPeer(before: deadline) { closed += 1 }
            #expect(closed == idle.count)
        }
    }
}

/// `coupon-worker run` against a test's own mock Kafka and provider sandboxes (`WorkerHarness`),
/// its side port on 127.0.0.1, its logs at trace level captured.
struct RunningWorker {
    let harness: WorkerHarness
    let child: ChildProcess
    let port: Int
    var side: SidePortClient { SidePortClient(port: port) }

    /// Starts it (with `adminToken` in a file when given), waits until the side port listens,
    /// runs `body`, stops it with SIGTERM (exit 0 expected) and returns all it wrote. With
    /// another `expectedExit`, `body` must make it exit by itself.
    @discardableResult
    static func withRunning(
        adminToken: String?, environment extra: [String: String] = [:], expectedExit: Int32 = 0,
        _ body: (RunningWorker) async throws -> Void
    ) async throws -> String {
        let harness = try await WorkerHarness.start(partitions: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try freePort()
        let ids = ProviderSandboxes.Identities.self
        let files = harness.sandboxes.keyFiles
        var environment = [
            "COUPON_KAFKA_BROKERS": harness.kafka.bootstrapServers, "COUPON_KAFKA_GROUP": harness.groupID,
            "COUPON_TOPIC_ISSUE": harness.topics.issue, "COUPON_TOPIC_QUERY": harness.topics.query,
            "COUPON_TOPIC_RESULTS": harness.topics.results, "COUPON_TOPIC_DLQ": harness.topics.deadLetters,
            "COUPON_STORE": "sqlite:\(folder.path)/store.sqlite",
            "COUPON_HTTP_HOST": "127.0.0.1", "COUPON_HTTP_PORT": "\(port)",
            "COUPON_WECHAT_BASE_URL": harness.sandboxes.wechatBaseURL, "COUPON_WECHAT_MCHID": ids.mchid,
            "COUPON_WECHAT_CERT_SERIAL": ids.certificateSerial, "COUPON_WECHAT_PRIVATE_KEY_FILE": files.wechatPrivateKey,
            "COUPON_WECHAT_APIV3_KEY_FILE": files.wechatAPIv3Key, "COUPON_WECHAT_PUBLIC_KEY_FILE": files.wechatPublicKey,
            "COUPON_WECHAT_PUBLIC_KEY_ID": ids.publicKeyID,
            "COUPON_ZVCMS_BASE_URL": harness.sandboxes.zvcmsBaseURL, "COUPON_ZVCMS_OPEN_ID": ids.zvcmsOpenID,
            "COUPON_ZVCMS_GRANT_CODE": ids.zvcmsGrantCode, "COUPON_ZVCMS_OPEN_KEY_FILE": files.zvcmsOpenKey,
            "COUPON_LOG_FORMAT": "json", "COUPON_LOG_LEVEL": "trace",
        ]
        environment.merge(extra) { _, new in new }
        if let adminToken {
            let file = folder.appendingPathComponent("admin-token")
            try (adminToken + "\n").write(to: file, atomically: true, encoding: .utf8)
            environment["COUPON_HTTP_ADMIN_TOKEN_FILE"] = file.path
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(["run"], environment: environment)
        } catch {
            await harness.shutdown()
            throw error
        }
        do {
            let listening = await child.waitForErrorLine(containing: "Server started and listening on 127.0.0.1:\(port)")
            try #require(listening != nil, "the side port never started")
            try await body(RunningWorker(harness: harness, child: child, port: port))
        } catch {
            child.terminate()
            _ = await child.waitForExit()
            await harness.shutdown()
            throw error
        }
        if expectedExit == 0 { child.terminate() }
        #expect(await child.waitForExit() == expectedExit)
        await harness.shutdown()
        return await child.allOutput()
    }

    /// Sends a WeChat issue and waits for its result; returns its out_request_no.
    func processWeChatIssue(openid: String = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") async throws -> String {
        let key = "EXE-W-" + UUID().uuidString.prefix(8)
        let before = harness.downstream.results.count
        try await harness.send(WorkerHarness.wechatIssue(key, openid: openid), key: key)
        try await harness.downstream.wait(results: before + 1)
        return key
    }
}

/// GETs on a side port.
struct SidePortClient {
    let port: Int

    func get(
        _ path: String, bearer: String? = nil, authorization: String? = nil, timeout: TimeAmount = .seconds(10)
    ) async throws -> (status: UInt, authenticate: String?, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let value = authorization ?? bearer.map({ "Bearer \($0)" }) { request.headers.add(name: "Authorization", value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 4 << 20)
        return (response.status.code, response.headers.first(name: "WWW-Authenticate"), String(buffer: body))
    }

    /// The value of an unlabelled counter or gauge on /metrics.
    func metric(_ name: String) async throws -> Double? {
        try await get("/metrics").body.split(separator: "\n")
            .first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
    }
}

/// One raw TCP connection to 127.0.0.1, for what an HTTP client would not send.
/// Every read is bounded (30 s), so a server that never answers fails the test instead of hanging it.
final class RawConnection: @unchecked Sendable {
    // Safe: one test task uses a connection at a time; reads run on a dispatch thread while it awaits.
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What the server sent until it closed (or reset) the connection, or (`untilClosed: false`)
    /// its first chunk; `nil` when the read bound expired first.
    func response(untilClosed: Bool = true) async -> String? {
        await onDispatchThread {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(self.descriptor, &buffer, buffer.count, 0)
                if count < 0 && errno != ECONNRESET { return nil }
                if count <= 0 { break }
                received += buffer[0..<count]
                if !untilClosed { break }
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    /// Whether the server closed the connection (end of stream or reset) before `deadline`.
    func closedByPeer(before deadline: ContinuousClock.Instant) async -> Bool {
        let remaining = deadline - .now
        guard remaining > .zero else { return false }
        var timeout = timeval(tv_sec: Int(remaining.components.seconds), tv_usec: Int(remaining.components.attoseconds / 1_000_000_000_000) + 1)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return await onDispatchThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(self.descriptor, &buffer, buffer.count, 0)
                if count == 0 { return true }
                if count < 0 { return errno == ECONNRESET }
            }
        }
    }

    private func onDispatchThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
