/// Why one WeChat Pay call failed, in WeChat Pay's own terms.
///
/// Every case says whether the request can have taken effect; `providerFailure` maps them,
/// once, to the project's vocabulary. No case carries key material.
public enum WeChatPayError: Error, Sendable, Hashable {
    /// The request never left: connection refused, DNS failure, connect timeout. Sending
    /// again cannot duplicate anything.
    case notSent(host: String, reason: String)
    /// No complete answer before the deadline, after the request may have been sent.
    case timedOut(host: String)
    /// The connection broke while the request or its answer was in flight.
    case connectionLost(host: String, reason: String)
    /// WeChat Pay answered with a non-2xx status (after one re-signed retry for SIGN_ERROR).
    case errorResponse(WeChatErrorResponse)
    /// A 2xx answer failed verification: it may be forged, or WeChat Pay's probe traffic.
    /// The request may well have been processed.
    case responseUnverified(ResponseVerificationFailure)
    /// A 2xx answer verified but its body is not what the call returns.
    case undecodableResponse(status: Int, reason: String)
    /// The call cannot be made from these arguments (a required field is missing or invalid).
    case invalidArguments(String)
    /// The private key could not produce a signature.
    case signingFailed
    /// The platform certificates could not be downloaded or decrypted.
    case certificatesUnavailable(reason: String)
}

/// Why a 2xx response was not trusted.
public enum ResponseVerificationFailure: Error, Sendable, Hashable {
    /// One of `Wechatpay-Timestamp`, `-Nonce`, `-Signature`, `-Serial` is absent.
    case missingHeader(String)
    /// `Wechatpay-Timestamp` is not a number or is more than the allowed skew from local time.
    case timestampOutOfWindow(timestamp: String)
    /// No trusted key has this serial, even after one refresh of the platform certificates.
    case unknownSerial(String)
    /// The signature is not valid for `timestamp\nnonce\nbody\n` under the key of that serial.
    case badSignature(serial: String)
}
