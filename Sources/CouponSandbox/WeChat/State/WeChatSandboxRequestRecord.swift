/// One request the sandbox received, as tests inspect it.
public struct WeChatSandboxRequestRecord: Sendable, Hashable {
    public var method: String
    /// The request target exactly as received (encoded path and query).
    public var target: String
    /// `mchid` and `nonce_str` from `Authorization`, when it could be read.
    public var mchid: String?
    public var nonce: String?
    /// The `Wechatpay-Serial` request header (which key the client trusts).
    public var wechatpaySerial: String?
    /// The status answered; nil when the connection was closed or the answer held back.
    public var status: Int?
    /// The `Wechatpay-Serial` of the answer: which key signed it.
    public var answerSerial: String?
}
