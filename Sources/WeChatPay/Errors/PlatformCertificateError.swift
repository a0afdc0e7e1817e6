import Foundation

/// Why a platform certificate is not trusted.
///
/// Each case names what an operator can check: the bytes (a wrong APIv3 key decrypts to
/// garbage only in theory, AES-GCM refuses first; so `unreadable` means WeChat Pay or a proxy
/// sent something that is not a certificate), the key type, or the clock.
public enum PlatformCertificateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a PEM or DER X.509 certificate (as swift-certificates reads them).
    case unreadable(reason: String)
    /// The certificate's key is not RSA. (An RSA key below 2048 bits is already `unreadable`:
    /// swift-crypto refuses to load one.)
    case notRSA(serial: String)
    /// The certificate becomes valid only later (or this host's clock is behind).
    case notYetValid(serial: String, notValidBefore: Date)
    /// The certificate has expired (or this host's clock is ahead).
    case expired(serial: String, notValidAfter: Date)

    public var description: String {
        switch self {
        case .unreadable(let reason): "platform certificate is not X.509: \(reason)"
        case .notRSA(let serial): "platform certificate \(serial) has no RSA key"
        case .notYetValid(let serial, let date): "platform certificate \(serial) is not valid before \(date)"
        case .expired(let serial, let date): "platform certificate \(serial) expired at \(date)"
        }
    }
}
