import CouponModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers one HTTP request the way zvcms would: applies the injected fault, reads the
/// API 2.0 or 3.0 envelope, checks token and timestamp, serves the call from the store and
/// shapes the answer in the configured scalar style.
struct ZvcmsSandboxResponder: HTTPResponder {
    typealias Context = SandboxRequestContext

    let configuration: ZvcmsSandbox.Configuration
    let store: ZvcmsSandboxStore
    let faults: SandboxFaultInjector
    let held: HeldAnswers

    /// Thrown after closing the connection for a `connectionReset` fault; nothing is answered.
    struct ConnectionReset: Error {}

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let path = request.uri.path
        let fault = faults.nextFault(path: path)
        let latency = faults.latency
        if latency > .zero { try await Task.sleep(for: latency) }

        var skewSeconds = 0
        switch fault {
        case .httpStatus(let status):
            await faults.gate.pass(path: path)
            return answer(
                status: HTTPResponse.Status(code: status),
                .failure(code: status, message: "sandbox fault: HTTP \(status)", status: false))
        case .connectionReset:
            try? await context.channel.close()
            throw ConnectionReset()
        case .clockSkew(let seconds):
            skewSeconds = seconds
        case .lateProcessing(let delay):
            try await Task.sleep(for: delay)
        case .timeoutAfterProcessing, .answerStalls, .wrongSignature, nil:
            break
        }

        guard request.method == .post else {
            return answer(status: .methodNotAllowed, .failure(code: 405, message: "POST only", status: false))
        }
        let body = try await request.collectBody(upTo: 1 << 20)
        let outcome = handle(path: path, body: Array(body.readableBytesView), skewSeconds: skewSeconds)
        await faults.gate.pass(path: path)

        switch fault {
        case .timeoutAfterProcessing:
            // Processed; the answer is held until the client gives up and hangs up.
            await held.hold(until: context.channel, bound: .seconds(120))
        case .answerStalls:
            // Processed; the status, the headers and half the answer go out, the rest is held.
            return Response(
                status: .ok, headers: Self.answerHeaders,
                body: held.stalledBody(answerBody(outcome), channel: context.channel, bound: .seconds(120)))
        case .wrongSignature:
            // zvcms answers are not signed; the closest failure is an answer that cannot be read.
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":true,"code":0,"data":{"cardId":"#)))
        default:
            break
        }
        return answer(status: .ok, outcome)
    }

    // MARK: Envelope

    private func handle(path: String, body: [UInt8], skewSeconds: Int) -> ZvcmsSandboxOutcome {
        guard let envelope = try? StrictJSON.parse(body), envelope.objectValue != nil else {
            return .parameterError("body is not a JSON object")
        }
        let paths = configuration.paths
        let isV2 = path == paths.v2
        guard isV2 || path.hasPrefix(paths.v3Prefix) else {
            return .failure(code: ZvcmsSandboxOutcome.unknownCallCode, message: "unknown api \(path)", status: false)
        }
        func field(_ v2: String, _ v3: String) -> String? { text(envelope[isV2 ? v2 : v3]) }

        guard let openID = field("OpenId", "openId"), let grantCode = field("GrantCode", "grantCode"),
            let token = field("Token", "token"), let nonce = field("Nonce", "nonce"),
            let timestamp = field("Timestamp", "timestamp"),
            ZvcmsSandboxTokenVerifier(accounts: configuration.accounts).isValid(
                openID: openID, grantCode: grantCode, nonce: nonce, timestamp: timestamp, token: token)
        else {
            return .failure(code: ZvcmsSandboxOutcome.signatureFailedCode, message: "签名验证失败 (signature check failed)", status: false)
        }
        let now = Int(Date().timeIntervalSince1970) + skewSeconds
        guard let sentAt = Int(timestamp), abs(sentAt - now) <= configuration.timestampToleranceSeconds else {
            return .failure(
                code: ZvcmsSandboxOutcome.timestampRejectedCode, message: "timestamp \(timestamp) expired", status: false)
        }
        guard let params = envelope[isV2 ? "Params" : "params"]?.objectValue else {
            return .parameterError("参数格式错误: params must be a JSON object")
        }

        if isV2 {
            guard field("Action", "action") == paths.userUseCouponAction else {
                return .failure(code: ZvcmsSandboxOutcome.unknownCallCode, message: "unknown Action", status: false)
            }
            return store.usableCoupons(params)
        }
        switch String(path.dropFirst(paths.v3Prefix.count)) {
        case paths.customerCoupons: return store.customerCoupons(params)
        case paths.couponStatus: return store.couponStatus(params)
        case paths.issue: return store.issue(params)
        default:
            return .failure(code: ZvcmsSandboxOutcome.unknownCallCode, message: "unknown api \(path)", status: false)
        }
    }

    // MARK: Answer

    private static let answerHeaders: HTTPFields = [.contentType: "application/json; charset=utf-8"]

    private func answer(status: HTTPResponse.Status, _ outcome: ZvcmsSandboxOutcome) -> Response {
        Response(status: status, headers: Self.answerHeaders, body: .init(byteBuffer: answerBody(outcome)))
    }

    /// The JSON answer zvcms gives for `outcome`, with a fresh `traceId`.
    private func answerBody(_ outcome: ZvcmsSandboxOutcome) -> ByteBuffer {
        let strings = configuration.scalarStyle == .strings
        var members: [String: JSONValue] = ["traceId": .string(UUID().uuidString.lowercased())]
        switch outcome {
        case .success(let data):
            members["status"] = strings ? "true" : true
            members["code"] = strings ? "0" : 0
            members["message"] = "success"
            members["data"] = data
        case .failure(let code, let message, let ok):
            members["status"] = strings ? .string(ok ? "true" : "false") : .bool(ok)
            members["code"] = strings ? .string(String(code)) : .integer(Int64(code))
            members["message"] = .string(message)
        }
        return ByteBuffer(bytes: CanonicalJSON.bytes(of: .object(members)))
    }

    private func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s) where !s.isEmpty: s
        case .integer(let i): String(i)
        default: nil
        }
    }
}
