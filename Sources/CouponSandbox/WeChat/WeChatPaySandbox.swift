import CouponModel
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local WeChat Pay APIv3 for the merchant-coupon calls, faithful to docs/wechatpay-v3.md.
///
/// Verifies every request as WeChat Pay does (`WeChatRequestAuthenticator`), keeps stocks and
/// issued coupons (`WeChatSandboxLedger`), signs every answer with the platform certificate
/// or the WeChat Pay public key, serves `/v3/certificates` encrypted with each merchant's
/// APIv3 key, and suffers the faults queued on `faults`. Serves HTTP/1.1 on loopback.
public final class WeChatPaySandbox: Sendable {
    /// Faults the next requests suffer, and added latency.
    public let faults = SandboxFaultInjector()

    private struct State {
        var ledger: WeChatSandboxLedger
        var platformKeys: [WeChatPlatformKey]
        var answersSigned = 0
        var certificateDownloads = 0
        var requests: [WeChatSandboxRequestRecord] = []
    }

    private let merchants: [String: WeChatSandboxConfiguration.Merchant]
    private let trustMode: WeChatSandboxConfiguration.TrustMode
    private let maxClockSkew: Int64
    private let holdBound: Duration
    private let state: Mutex<State>
    private let server = SandboxServer()
    private let logger: Logger

    /// A sandbox that is not serving yet; `logger` defaults to warnings only.
    public init(configuration: WeChatSandboxConfiguration, logger: Logger? = nil) {
        let logger =
            logger
            ?? {
                var quiet = Logger(label: "coupon-sandbox.wechat")
                quiet.logLevel = .warning
                return quiet
            }()
        self.merchants = configuration.merchants
        self.trustMode = configuration.trustMode
        self.maxClockSkew = configuration.maxClockSkew
        self.holdBound = configuration.holdBound
        self.logger = logger
        self.state = Mutex(
            State(
                ledger: WeChatSandboxLedger(forgetDuplicates: configuration.forgetDuplicates, paging: configuration.paging),
                platformKeys: configuration.platformKeys))
    }

    // MARK: Lifecycle

    /// Starts serving on `host:port` (0 picks a free port) and returns the bound port.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let router = Router(context: SandboxRequestContext.self)
        router.get("**") { request, context in await self.respond(to: request, context: context) }
        router.post("**") { request, context in await self.respond(to: request, context: context) }
        return try await server.start(responder: router.buildResponder(), host: host, port: port, logger: logger)
    }

    /// Stops serving: held answers are let go first, then the server is shut down.
    public func stop() async {
        await server.stop()
    }

    // MARK: Inspection and setup

    /// How many coupons were really created under `outRequestNo` (at most 1 unless
    /// `forgetDuplicates`).
    public func issuanceCount(outRequestNo: String) -> Int {
        state.withLock { $0.ledger.issuanceCount(outRequestNo: outRequestNo) }
    }

    /// Every coupon the sandbox holds, in issue order.
    public var coupons: [WeChatSandboxCoupon] { state.withLock { $0.ledger.coupons } }

    /// Every request received, in arrival order.
    public var requests: [WeChatSandboxRequestRecord] { state.withLock { $0.requests } }

    /// How many times `/v3/certificates` answered 200.
    public var certificateDownloads: Int { state.withLock { $0.certificateDownloads } }

    /// Serials of the platform certificates, oldest first (the last one signs).
    public var platformSerials: [String] { state.withLock { $0.platformKeys.map(\.serial) } }

    public func addStock(_ stock: WeChatSandboxStock) { state.withLock { $0.ledger.add(stock) } }

    /// Puts a coupon straight into a user's wallet (not counted as an issuance).
    public func addCoupon(_ coupon: WeChatSandboxCoupon) { state.withLock { $0.ledger.add(coupon) } }

    /// Changes a coupon's state (any string: open enums are part of the contract).
    @discardableResult
    public func setCouponState(_ state: String, couponCode: String) -> Bool {
        self.state.withLock { $0.ledger.setState(state, couponCode: couponCode) }
    }

    /// Whether the user's coupon list shows a coupon: one the server issued but whose list
    /// lags behind its writes is not shown (yet). False when no coupon has that code.
    @discardableResult
    public func setListed(_ listed: Bool, couponCode: String) -> Bool {
        state.withLock { $0.ledger.setListed(listed, couponCode: couponCode) }
    }

    /// Adds a new platform certificate that signs from now on; older ones stay listed.
    @discardableResult
    public func rotatePlatformCertificate() throws -> String {
        let key = try WeChatPlatformKey.generate()
        state.withLock { $0.platformKeys.append(key) }
        return key.serial
    }

    // MARK: Serving

    private func respond(to request: Request, context: SandboxRequestContext) async -> Response {
        var request = request
        let method = request.method.rawValue
        let target = request.head.path ?? "/"
        let header: (String) -> String? = { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
        let authorizationPairs = header("Authorization").map { WeChatRequestAuthenticator.pairs($0) } ?? [:]
        var record = WeChatSandboxRequestRecord(
            method: method, target: target, mchid: authorizationPairs["mchid"], nonce: authorizationPairs["nonce_str"],
            wechatpaySerial: header("Wechatpay-Serial"), status: nil)
        defer { state.withLock { [record] in $0.requests.append(record) } }

        let fault = faults.nextFault(path: target)
        let latency = faults.latency
        if latency > .zero { try? await Task.sleep(for: latency) }
        var skew: Int64 = 0
        switch fault {
        case .connectionReset?:
            context.channel.close(promise: nil)
            return Response(status: .internalServerError)
        case .httpStatus(let status)?:
            record.status = status
            await faults.gate.pass(path: target)
            return signed(.failure(status: status), wrongSignature: false, skew: 0, record: &record)
        case .clockSkew(let seconds)?:
            skew = Int64(seconds)
        case .lateProcessing(let delay)?:
            try? await Task.sleep(for: delay)
        default:
            break
        }

        let body = (try? await request.collectBody(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
        let now = Date().addingTimeInterval(TimeInterval(skew))
        let authenticator = WeChatRequestAuthenticator(merchants: merchants, maxClockSkew: maxClockSkew)
        let answer: WeChatSandboxAnswer
        switch authenticator.authenticate(method: method, rawTarget: target, header: header, body: body, now: now) {
        case .failure(let rejection):
            answer = rejection
        case .success(let mchid):
            answer = route(method: method, target: target, mchid: mchid, body: body, now: now)
        }
        await faults.gate.pass(path: target)

        if case .timeoutAfterProcessing? = fault {
            await server.held.hold(until: context.channel, bound: holdBound)
            return Response(status: .gatewayTimeout)
        }
        record.status = answer.status
        let wrong: Bool = if case .wrongSignature? = fault { true } else { false }
        var response = signed(answer, wrongSignature: wrong, skew: skew, record: &record)
        if case .answerStalls? = fault {
            // Processed and signed; the head and half the body go out, the rest is held.
            response.body = server.held.stalledBody(
                ByteBuffer(bytes: answer.body), channel: context.channel, bound: holdBound)
        }
        return response
    }

    private func route(method: String, target: String, mchid: String, body: [UInt8], now: Date) -> WeChatSandboxAnswer {
        let rawPath = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let rawQuery = target.contains("?") ? String(target[target.index(after: target.firstIndex(of: "?")!)...]) : ""
        let segments = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { segment in
            String(segment).removingPercentEncoding
        }
        guard !segments.contains(where: { $0 == nil }) else {
            return .paramError(field: "path", value: rawPath, issue: "路径编码错误", location: "path")
        }
        let path = segments.compactMap { $0 }
        var query: [String: String] = [:]
        for item in rawQuery.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).removingPercentEncoding,
                let value = (parts.count > 1 ? String(parts[1]) : "").removingPercentEncoding
            else { return .paramError(field: String(parts[0]), value: nil, issue: "查询参数编码错误", location: "query") }
            query[name] = value
        }

        switch (method, path) {
        case ("GET", ["v3", "certificates"]):
            return certificates(for: mchid, now: now)
        case ("POST", ["v3", "marketing", "busifavor", "product-coupons", "send"]):
            return state.withLock { $0.ledger.send(mchid: mchid, body: body, now: now) }
        case ("GET", let p) where p.count == 6 && p.starts(with: ["v3", "marketing", "busifavor", "users"]) && p[5] == "coupons":
            return state.withLock { $0.ledger.list(openid: p[4], query: query) }
        case ("GET", let p)
        where p.count == 9 && p.starts(with: ["v3", "marketing", "busifavor", "users"]) && p[5] == "coupons"
            && p[7] == "appids":
            return state.withLock { $0.ledger.coupon(openid: p[4], couponCode: p[6], appid: p[8]) }
        case ("GET", let p) where p.count == 5 && p.starts(with: ["v3", "marketing", "busifavor", "stocks"]):
            return state.withLock { $0.ledger.stock(id: p[4], mchid: mchid) }
        default:
            return .error(404, "RESOURCE_NOT_EXISTS", "请求的接口不存在")
        }
    }

    /// `/v3/certificates`: every platform certificate, AES-256-GCM encrypted with the
    /// merchant's APIv3 key (IV = a 12-character nonce, AAD = "certificate").
    private func certificates(for mchid: String, now: Date) -> WeChatSandboxAnswer {
        if case .publicKey = trustMode { return .error(404, "RESOURCE_NOT_EXISTS", "无可用的平台证书，请使用微信支付公钥") }
        guard let merchant = merchants[mchid] else { return .error(403, "NO_AUTH", "商户无权限") }
        let key = SymmetricKey(data: Array(merchant.apiV3Key.utf8))
        let platformKeys = state.withLock { $0.platformKeys }
        var entries: [JSONValue] = []
        for platformKey in platformKeys {
            let nonce = Self.randomAlphanumeric(12)
            let associatedData = "certificate"
            guard let gcmNonce = try? AES.GCM.Nonce(data: Array(nonce.utf8)),
                let sealed = try? AES.GCM.seal(
                    Array(platformKey.certificatePEM.utf8), using: key, nonce: gcmNonce,
                    authenticating: Array(associatedData.utf8))
            else { return .failure(status: 500) }
            let ciphertext = (sealed.ciphertext + sealed.tag).base64EncodedString()
            entries.append([
                "serial_no": .string(platformKey.serial), "effective_time": .string(platformKey.effectiveTime),
                "expire_time": .string(platformKey.expireTime),
                "encrypt_certificate": [
                    "algorithm": "AEAD_AES_256_GCM", "nonce": .string(nonce), "associated_data": .string(associatedData),
                    "ciphertext": .string(ciphertext),
                ],
            ])
        }
        state.withLock { $0.certificateDownloads += 1 }
        return .json(["data": .array(entries)])
    }

    /// The answer with WeChat Pay's response headers, signed over
    /// `timestamp\nnonce\nbody\n` by the key the trust mode picks.
    private func signed(
        _ answer: WeChatSandboxAnswer, wrongSignature: Bool, skew: Int64, record: inout WeChatSandboxRequestRecord
    ) -> Response {
        let timestamp = String(Int64(Date().timeIntervalSince1970.rounded(.down)) + skew)
        let nonce = Self.randomAlphanumeric(32)
        var message: [UInt8] = Array("\(timestamp)\n\(nonce)\n".utf8)
        message.append(contentsOf: answer.body)
        message.append(0x0A)
        let (serial, signature) = sign(message)
        record.answerSerial = serial
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in [
            ("Wechatpay-Timestamp", timestamp), ("Wechatpay-Nonce", nonce), ("Wechatpay-Serial", serial),
            ("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"), ("Request-ID", UUID().uuidString),
            ("Wechatpay-Signature", wrongSignature ? Self.probeSignature() : signature),
        ] {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func sign(_ message: [UInt8]) -> (serial: String, signature: String) {
        let (platformKey, turn) = state.withLock { s -> (WeChatPlatformKey?, Int) in
            s.answersSigned += 1
            return (s.platformKeys.last, s.answersSigned)
        }
        let usePublicKey: WeChatSandboxPublicKey? =
            switch trustMode {
            case .platformCertificates: nil
            case .publicKey(let key): key
            case .mixed(let key): turn % 2 == 1 ? key : (platformKey == nil ? key : nil)
            }
        do {
            if let key = usePublicKey { return (key.id, try key.sign(message)) }
            if let platformKey { return (platformKey.serial, try platformKey.sign(message)) }
        } catch {
            logger.error("sandbox could not sign an answer", metadata: ["error": "\(error)"])
        }
        return ("NO_SIGNING_KEY", Self.probeSignature())
    }

    /// What WeChat Pay's signature probes look like: a marker prefix on a signature that
    /// cannot verify.
    private static func probeSignature() -> String {
        "WECHATPAY/SIGNTEST/" + Data((0..<256).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    private static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }
}
