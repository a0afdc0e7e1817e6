import AsyncHTTPClient
import CouponModel
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// WeChat Pay APIv3 merchant-coupon (busifavor) calls for one merchant profile.
///
/// Every call: sign → send (the backup host when the primary could not be reached) → on
/// `401 SIGN_ERROR` sign afresh and send once more → map errors → verify the 2xx answer's
/// signature with the key its `Wechatpay-Serial` names → decode. One attempt per call
/// otherwise: retries and backoff belong to the pipeline. Safe to share between tasks.
public struct WeChatPayClient: Sendable {
    /// Knobs that are not part of a merchant's identity.
    public struct Configuration: Sendable {
        /// Deadline for one exchange (request sent and whole answer read).
        public var timeout: Duration
        public var userAgent: String
        /// Platform certificates older than this are downloaded again before the next call.
        public var certificateRefreshInterval: Duration
        /// Allowed distance of a response timestamp from local time, in seconds.
        public var maxClockSkew: Int64
        /// What `offset` means when paging the user's coupons (unconfirmed upstream).
        public var pagingConvention: PagingConvention
        /// Page size used by reconciliation (WeChat Pay allows at most 50).
        public var reconciliationPageSize: Int
        /// Reconciliation gives up (as `OUTCOME_UNKNOWN`) after this many pages.
        public var reconciliationMaxPages: Int

        public init(
            timeout: Duration = .seconds(10), userAgent: String = "coupon-worker/1.0 WeChatPay-APIv3 (Swift)",
            certificateRefreshInterval: Duration = .seconds(12 * 3600), maxClockSkew: Int64 = 300,
            pagingConvention: PagingConvention = .pageIndex, reconciliationPageSize: Int = 50,
            reconciliationMaxPages: Int = 200
        ) {
            self.timeout = timeout
            self.userAgent = userAgent
            self.certificateRefreshInterval = certificateRefreshInterval
            self.maxClockSkew = maxClockSkew
            self.pagingConvention = pagingConvention
            self.reconciliationPageSize = reconciliationPageSize
            self.reconciliationMaxPages = reconciliationMaxPages
        }
    }

    public let profile: WeChatMerchantProfile
    public let configuration: Configuration
    private let signer: RequestSigner
    private let verifier: ResponseVerifier
    private let certificates: PlatformCertificateStore
    private let transport: WeChatPayTransport
    private let logger: Logger

    /// A client for `profile` over `httpClient` (shared; its lifecycle is the caller's).
    public init(
        profile: WeChatMerchantProfile, httpClient: HTTPClient = .shared, configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "coupon-worker.wechatpay")
    ) {
        self.profile = profile
        self.configuration = configuration
        self.signer = RequestSigner(
            mchid: profile.mchid, certificateSerial: profile.certificateSerial, privateKey: profile.privateKey)
        self.verifier = ResponseVerifier(maxClockSkew: configuration.maxClockSkew)
        self.certificates = PlatformCertificateStore(
            mode: profile.trustMode, refreshInterval: configuration.certificateRefreshInterval,
            clockSkew: TimeInterval(configuration.maxClockSkew))
        self.transport = WeChatPayTransport(httpClient: httpClient, timeout: TimeAmount(configuration.timeout))
        var logger = logger
        logger[metadataKey: "mchid"] = "\(profile.mchid)"
        self.logger = logger
    }

    // MARK: Calls

    /// Issues a product coupon to a user (`POST /v3/marketing/busifavor/product-coupons/send`).
    /// Sending the same `out_request_no` with the same body again is WeChat Pay's advised retry.
    public func sendProductCoupon(_ request: SendProductCouponRequest) async throws(WeChatPayError) -> SendProductCouponResponse {
        try request.validate()
        let body = try encode(request)
        let target = RequestTarget(["v3", "marketing", "busifavor", "product-coupons", "send"])
        return try await call(.POST, target, body: body, as: SendProductCouponResponse.self)
    }

    /// One page of the coupons in a user's wallet that match `query`.
    public func userCoupons(_ query: UserCouponsQuery) async throws(WeChatPayError) -> UserCouponsPage {
        try query.validate()
        return try await call(.GET, query.target, body: nil, as: UserCouponsPage.self)
    }

    /// One coupon of a user (`…/users/{openid}/coupons/{coupon_code}/appids/{appid}`).
    public func userCoupon(openid: String, couponCode: String, appid: String) async throws(WeChatPayError) -> UserCoupon {
        for (name, value) in [("openid", openid), ("coupon_code", couponCode), ("appid", appid)] where value.isEmpty {
            throw .invalidArguments("\(name) is required")
        }
        let target = RequestTarget([
            "v3", "marketing", "busifavor", "users", .parameter(openid), "coupons", .parameter(couponCode), "appids",
            .parameter(appid),
        ])
        return try await call(.GET, target, body: nil, as: UserCoupon.self)
    }

    /// A stock's state, rules and counters (`GET /v3/marketing/busifavor/stocks/{stock_id}`).
    public func stock(id stockID: String) async throws(WeChatPayError) -> Stock {
        guard !stockID.isEmpty else { throw .invalidArguments("stock_id is required") }
        let target = RequestTarget(["v3", "marketing", "busifavor", "stocks", .parameter(stockID)])
        return try await call(.GET, target, body: nil, as: Stock.self)
    }

    /// The coupon issued to `openid` from `stockID` under `outRequestNo`, if any: lists the
    /// user's coupons of that stock sent by this merchant, every page, matching
    /// `send_request_no`. Nil means WeChat Pay shows no such coupon.
    public func findCoupon(
        issuedUnder outRequestNo: String, openid: String, appid: String, stockID: String
    ) async throws(WeChatPayError) -> UserCoupon? {
        let limit = configuration.reconciliationPageSize
        let paging = configuration.pagingConvention
        var offset = 0
        var seen = 0
        for _ in 0..<configuration.reconciliationMaxPages {
            let page = try await userCoupons(
                UserCouponsQuery(
                    openid: openid, appid: appid, stockID: stockID, senderMerchant: profile.mchid, offset: offset,
                    limit: limit))
            if let match = page.coupons.first(where: { $0.sendRequestNo == outRequestNo }) { return match }
            seen += page.coupons.count
            if page.coupons.isEmpty || seen >= page.totalCount { return nil }
            offset = paging.next(after: offset, limit: limit)
        }
        throw .undecodableResponse(status: 200, reason: "more than \(configuration.reconciliationMaxPages) pages of coupons")
    }

    /// Downloads the platform certificates now (normally done on demand).
    @discardableResult
    public func refreshPlatformCertificates() async throws(WeChatPayError) -> [String] {
        try await certificates.refresh(download: downloader)
        return await certificates.trustedSerials
    }

    /// How many certificate downloads this client completed (diagnostics and tests).
    public var certificateDownloads: Int {
        get async { await certificates.downloads }
    }

    // MARK: Exchange

    private var downloader: PlatformCertificateStore.Download {
        { () async throws(WeChatPayError) -> [PlatformCertificate] in try await self.downloadCertificates() }
    }

    /// Sign, send, verify and decode one business call.
    private func call<Response: Decodable>(
        _ method: HTTPMethod, _ target: RequestTarget, body: [UInt8]?, as type: Response.Type
    ) async throws(WeChatPayError) -> Response {
        let serial: String?
        do {
            serial = try await certificates.requestSerial(download: downloader)
        } catch {
            // Whatever failed was the certificate download: the business request has not left.
            // A failure that would read as "may have been processed" (a timeout, a lost
            // connection, a probe's signature) is the call's only as "certificates unavailable".
            guard error.providerFailure.ambiguous else { throw error }
            throw .certificatesUnavailable(reason: "the certificate download failed: \(error)")
        }
        let response = try await exchange(method, target, body: body, wechatpaySerial: serial)
        do throws(ResponseVerificationFailure) {
            let signature: ResponseSignature
            signature = try ResponseSignature(header: response.header)
            try verifier.checkTimestamp(signature, now: Date())
            let key = try await certificates.key(forSerial: signature.serial, download: downloader)
            try verifier.checkSignature(signature, body: response.body, key: key)
        } catch {
            logger.warning("WeChat Pay response failed verification", metadata: ["reason": "\(error)", "path": "\(target)"])
            throw .responseUnverified(error)
        }
        return try decode(type, from: response)
    }

    /// `GET /v3/certificates`, decrypted, and verified with the certificates it carries (or
    /// the public key, in mixed mode) -- the official SDKs' bootstrap.
    private func downloadCertificates() async throws(WeChatPayError) -> [PlatformCertificate] {
        let serial = await certificates.knownSerial()
        let response = try await exchange(.GET, RequestTarget(["v3", "certificates"]), body: nil, wechatpaySerial: serial)
        let list = try decode(PlatformCertificateList.self, from: response)
        let fresh = try list.certificates(
            apiV3Key: profile.apiV3Key, now: Date(), tolerance: TimeInterval(configuration.maxClockSkew))
        do throws(ResponseVerificationFailure) {
            let signature = try ResponseSignature(header: response.header)
            try verifier.checkTimestamp(signature, now: Date())
            guard let key = await certificates.lookup(signature.serial, in: fresh) else {
                throw ResponseVerificationFailure.unknownSerial(signature.serial)
            }
            try verifier.checkSignature(signature, body: response.body, key: key)
        } catch {
            throw .responseUnverified(error)
        }
        logger.info("downloaded WeChat Pay platform certificates", metadata: ["serials": "\(fresh.map(\.serialNumber))"])
        return fresh
    }

    /// Sends one signed request and returns its 2xx answer, unverified. Tries the backup host
    /// when the primary could not be reached (the host is not signed, so the request is
    /// unchanged), and signs afresh once after `401 SIGN_ERROR` (clock skew, a stale nonce).
    private func exchange(
        _ method: HTTPMethod, _ target: RequestTarget, body: [UInt8]?, wechatpaySerial: String?
    ) async throws(WeChatPayError) -> WeChatPayTransport.Response {
        var signAttempts = 0
        while true {
            signAttempts += 1
            let headers = try signedHeaders(method, target, body: body, wechatpaySerial: wechatpaySerial)
            let response = try await sendToAnyHost(method, target, headers: headers, body: body)
            if (200..<300).contains(response.status) { return response }
            let error = WeChatErrorResponse(status: response.status, body: response.body, requestID: response.header("Request-ID"))
            if response.status == 401, error.code == "SIGN_ERROR", signAttempts == 1 {
                logger.notice("WeChat Pay answered SIGN_ERROR; signing again", metadata: ["path": "\(target)"])
                continue
            }
            throw .errorResponse(error)
        }
    }

    private func sendToAnyHost(
        _ method: HTTPMethod, _ target: RequestTarget, headers: HTTPHeaders, body: [UInt8]?
    ) async throws(WeChatPayError) -> WeChatPayTransport.Response {
        do throws(WeChatPayError) {
            return try await transport.send(
                method: method, baseURL: profile.baseURL, target: target, headers: headers, body: body)
        } catch .notSent(let host, let reason) {
            guard let backup = profile.backupBaseURL else { throw .notSent(host: host, reason: reason) }
            logger.notice("WeChat Pay primary host unreachable; trying the backup", metadata: ["host": "\(host)"])
            return try await transport.send(
                method: method, baseURL: backup, target: target, headers: headers, body: body)
        }
    }

    private func signedHeaders(
        _ method: HTTPMethod, _ target: RequestTarget, body: [UInt8]?, wechatpaySerial: String?
    ) throws(WeChatPayError) -> HTTPHeaders {
        let timestamp = Int64(Date().timeIntervalSince1970.rounded(.down))
        let authorization = try signer.authorization(
            method: method.rawValue, pathAndQuery: target.pathAndQuery, timestamp: timestamp,
            nonce: RequestSigner.makeNonce(), body: body ?? [])
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: authorization)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: configuration.userAgent)
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        if let wechatpaySerial { headers.add(name: "Wechatpay-Serial", value: wechatpaySerial) }
        return headers
    }

    private func encode(_ value: some Encodable) throws(WeChatPayError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .invalidArguments("request body cannot be encoded: \(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from response: WeChatPayTransport.Response) throws(WeChatPayError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .undecodableResponse(status: response.status, reason: "\(error)")
        }
    }
}
