import AsyncHTTPClient
import CouponModel
import Foundation
import Logging
import NIOCore
import Tracing

/// The zvcms open API for one account: signs each request afresh, sends one attempt, and
/// decodes the answer tolerantly.
///
/// One attempt per call: retries belong to the caller, which must never re-send an issue
/// whose outcome is unknown (see `ZvcmsError.providerFailure(for:)`). Pacing too: the
/// platform's limit (10 requests/s per endpoint per account) is kept by the worker's one
/// limiter per account (`ProviderDirectory.Route.limiter`), not here, so calls are never
/// held by two buckets at once.
public struct ZvcmsClient: Sendable {
    public let account: ZvcmsAccount
    /// How long one call may take, from sending to the last byte of the answer.
    public let timeout: Duration
    private let httpClient: HTTPClient
    private let signer: TokenSigner
    private let logger: Logger

    /// Largest answer accepted; zvcms pages are at most 50 coupons.
    private static let maxResponseBytes = 4 << 20

    /// A client for `account` over the shared `httpClient` (the caller owns and shuts it down).
    public init(account: ZvcmsAccount, httpClient: HTTPClient, timeout: Duration = .seconds(10), logger: Logger = Logger(label: "zvcms")) {
        self.account = account
        self.timeout = timeout
        self.httpClient = httpClient
        self.signer = TokenSigner(openKey: account.openKey)
        var logger = logger
        logger[metadataKey: "zvcms.open_id"] = .string(account.openID)
        self.logger = logger
    }

    /// A member's coupons usable for an order (API 2.0 `user.user-use-coupon`).
    public func usableCoupons(_ query: UsableCouponsQuery) async throws(ZvcmsError) -> [UsableCoupon] {
        let data = try await send(.userUseCoupon, params: query.params)
        guard case .array(let elements) = data else {
            if data == .null { return [] }
            throw .undecodableResponse(reason: "usable coupons data is not a list")
        }
        var coupons: [UsableCoupon] = []
        for element in elements { coupons.append(try UsableCoupon(json: element)) }
        return coupons
    }

    /// A customer's coupons (API 3.0 `crm/coupon/getCustomerCoupons`).
    public func customerCoupons(_ query: CustomerCouponsQuery) async throws(ZvcmsError) -> [CustomerCoupon] {
        try CustomerCoupon.list(from: try await send(.customerCoupons, params: query.params))
    }

    /// One coupon by its code (API 3.0 `coupon/status`).
    public func couponStatus(code: String) async throws(ZvcmsError) -> CustomerCoupon {
        try CustomerCoupon(json: try await send(.couponStatus, params: ["id": .string(code)]))
    }

    /// Issues coupons (API 3.0 `coupon/issueCouponsToCustomer`). Not idempotent at zvcms:
    /// on `.noAnswer`, `.httpStatus(5xx)` or `.undecodableResponse` coupons may have been issued.
    public func issueCoupons(_ request: CouponIssueRequest) async throws(ZvcmsError) -> IssuedCoupons {
        IssuedCoupons(json: try await send(.issueCoupons, params: request.params(fields: account.endpoints.issueFields)))
    }

    /// Sends one signed request and returns the answer's `data` when zvcms says success.
    ///
    /// Refused with `110007` (*assumption*: a stale timestamp or a nonce seen before, checked
    /// before anything is processed), the request is signed afresh and sent once more, as
    /// WeChat Pay's client does after `SIGN_ERROR`; a clock that is off fails again, for good.
    func send(_ call: ZvcmsCall, params: [String: JSONValue]) async throws(ZvcmsError) -> JSONValue {
        do {
            return try await sendSigned(call, params: params)
        } catch {
            guard case .rejected(let code, _, _) = error, code == ZvcmsError.staleRequestCode else { throw error }
            return try await sendSigned(call, params: params)
        }
    }

    private func sendSigned(_ call: ZvcmsCall, params: [String: JSONValue]) async throws(ZvcmsError) -> JSONValue {
        let (url, envelope) = envelope(for: call, params: params)

        var logger = self.logger
        if logger.logLevel <= .debug {  // only debug lines use them: no metadata copy per call otherwise
            logger[metadataKey: "zvcms.call"] = .string(call.rawValue)
            logger[metadataKey: "zvcms.nonce"] = .stringConvertible(envelope.nonce)
        }

        // An HTTP client span: method, the call's path (no values travel in zvcms URLs), host, status.
        let template = url.hasPrefix(account.baseURL) ? String(url.dropFirst(account.baseURL.count)) : call.rawValue
        let span = startSpan("POST \(template)", ofKind: .client)
        defer { span.end() }
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["http.request.method"] = "POST"
                attributes["url.template"] = template
                attributes["server.address"] = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
                    .map { String($0.split(separator: ":").first ?? $0) }
            }
        }
        let status: Int
        let body: ByteBuffer
        do {
            let request = try HTTPClient.Request(
                url: url, method: .POST, headers: ["Content-Type": "application/json; charset=utf-8"],
                body: .byteBuffer(ByteBuffer(bytes: envelope.encoded())))
            // The deadline covers the whole answer, not only its head: an answer that stalls
            // half-way ends at the timeout too. AsyncHTTPClient sets metadata on the logger of
            // every request, which a stream handler formats at once: it gets ours only when its
            // debug lines would be printed.
            let call = httpClient.execute(
                request: request, delegate: ResponseAccumulator(request: request, maxBodySize: Self.maxResponseBytes),
                eventLoop: .indifferent, deadline: .now() + TimeAmount(timeout), logger: logger.logLevel <= .debug ? logger : nil)
            let response = try await withTaskCancellationHandler {
                try await call.futureResult.get()
            } onCancel: {
                call.cancel()
            }
            status = Int(response.status.code)
            if span.isRecording { span.attributes["http.response.status_code"] = status }
            body = response.body ?? ByteBuffer()
        } catch {
            let failure = ZvcmsError(transport: error)
            if span.isRecording { span.attributes["error.type"] = "transport" }
            span.setStatus(SpanStatus(code: .error))
            logger.debug("zvcms call failed", metadata: ["error": .string(failure.description)])
            throw failure
        }
        if status != 200 { span.setStatus(SpanStatus(code: .error)) }
        let bytes = Array(body.readableBytesView)
        guard status == 200 else {
            throw .httpStatus(status, message: String(decoding: bytes.prefix(200), as: UTF8.self))
        }
        let answer = try ZvcmsResponse.decode(bytes)
        logger.debug(
            "zvcms answered",
            metadata: ["zvcms.code": .string(answer.code), "zvcms.trace_id": .string(answer.traceID ?? "")])
        guard answer.isSuccess else {
            if answer.code == ZvcmsError.signatureCheckFailedCode {
                throw .signatureRejected(code: answer.code, message: answer.message, traceID: answer.traceID)
            }
            throw .rejected(code: answer.code, message: answer.message, traceID: answer.traceID)
        }
        return answer.data
    }

    /// URL and signed body of `call`, with a fresh timestamp and nonce.
    func envelope(for call: ZvcmsCall, params: [String: JSONValue]) -> (String, ZvcmsRequestEnvelope) {
        let endpoints = account.endpoints
        let timestamp = Int64(Date().timeIntervalSince1970)
        let nonce = Int64.random(in: 1...999_999_999)
        let token = signer.token(openID: account.openID, grantCode: account.grantCode, nonce: nonce, timestamp: timestamp)
        let url: String
        let generation: ZvcmsRequestEnvelope.Generation
        switch call {
        case .userUseCoupon:
            url = account.baseURL + endpoints.v2Path
            generation = .v2(action: endpoints.userUseCouponAction)
        case .customerCoupons:
            url = account.baseURL + endpoints.v3Prefix + endpoints.customerCouponsPath
            generation = .v3
        case .couponStatus:
            url = account.baseURL + endpoints.v3Prefix + endpoints.couponStatusPath
            generation = .v3
        case .issueCoupons:
            url = account.baseURL + endpoints.v3Prefix + endpoints.issuePath
            generation = .v3
        }
        let envelope = ZvcmsRequestEnvelope(
            generation: generation, openID: account.openID, grantCode: account.grantCode,
            nonce: nonce, timestamp: timestamp, token: token, params: params)
        return (url, envelope)
    }
}
