/// Why a merchant profile could not be built. Names the file or setting at fault, never
/// its content (key files hold secrets).
public enum WeChatPayConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be read (missing, permissions); `reason` is the system's reason.
    case unreadableFile(path: String, reason: String)
    /// The private key PEM at `source` is not an RSA private key of at least 2048 bits.
    case invalidPrivateKey(source: String)
    /// The APIv3 key at `source` is not 32 bytes (whitespace around it is ignored).
    case invalidAPIv3Key(source: String, byteCount: Int)
    /// The WeChat Pay public key PEM at `source` is not an RSA public key of at least 2048 bits.
    case invalidPublicKey(source: String)
    /// A public key id must be `PUB_KEY_ID_` followed by digits.
    case invalidPublicKeyID(String)
    /// A public key file was given without its id, or an id without the file.
    case incompletePublicKey
    /// A base URL is not an absolute http(s) URL.
    case invalidBaseURL(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidPrivateKey(let source): "\(source) is not an RSA-2048+ private key in PEM form"
        case .invalidAPIv3Key(let source, let count): "the APIv3 key in \(source) has \(count) bytes, expected 32"
        case .invalidPublicKey(let source): "\(source) is not an RSA-2048+ public key in PEM form"
        case .invalidPublicKeyID(let id): "\(id) is not a WeChat Pay public key id (PUB_KEY_ID_ + digits)"
        case .incompletePublicKey: "a WeChat Pay public key needs both its PEM file and its PUB_KEY_ID_ id"
        case .invalidBaseURL(let url): "\(url) is not an absolute http(s) base URL"
        }
    }
}
