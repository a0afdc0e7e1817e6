import Foundation
import _CryptoExtras

/// The keys one merchant trusts for response signatures, found by `Wechatpay-Serial`.
///
/// Keeps every platform certificate ever downloaded by serial (rotations overlap, and an
/// answer signed with the outgoing certificate must still verify) until it expires: a kept
/// certificate verifies only while the wall clock is inside its validity window (± the
/// allowed clock skew). Refreshes them when older than `refreshInterval` and once when an
/// unknown serial shows up. Concurrent refreshes are coalesced into one download.
actor PlatformCertificateStore {
    /// Downloads and decrypts the current platform certificates.
    typealias Download = @Sendable () async throws(WeChatPayError) -> [PlatformCertificate]
    /// The wall clock certificate validity is judged by (tests pass their own).
    typealias WallClock = @Sendable () -> Date

    private let mode: WeChatTrustMode
    private let refreshInterval: Duration
    private let clock = ContinuousClock()
    private let wallClock: WallClock
    private let clockSkew: TimeInterval
    private var certificates: [String: PlatformCertificate] = [:]
    private var newest: PlatformCertificate?
    private var lastRefresh: ContinuousClock.Instant?
    private var inFlight: Task<[PlatformCertificate], any Error>?
    /// How many downloads completed (tests check that an unknown serial causes one).
    private(set) var downloads = 0

    init(mode: WeChatTrustMode, refreshInterval: Duration, clockSkew: TimeInterval, wallClock: @escaping WallClock = { Date() }) {
        self.mode = mode
        self.refreshInterval = refreshInterval
        self.clockSkew = clockSkew
        self.wallClock = wallClock
    }

    /// The serial to send in `Wechatpay-Serial`: the public key id, or the newest platform
    /// certificate (downloading them first when none are known yet or they are stale).
    func requestSerial(download: @escaping Download) async throws(WeChatPayError) -> String? {
        switch mode {
        case .publicKey(let key):
            return key.id
        case .mixed(let key):
            // A failed download is fine here (new merchants get 404): the public key still
            // verifies its answers, and the next scheduled attempt is an interval away.
            if isStale {
                do {
                    try await refresh(download: download)
                } catch {
                    lastRefresh = clock.now
                }
            }
            return key.id
        case .platformCertificates:
            if isStale {
                do {
                    try await refresh(download: download)
                } catch {
                    // Stale but present certificates still verify; only "none at all" is fatal.
                    if newest == nil { throw error }
                }
            }
            return newest?.serialNumber
        }
    }

    /// The serial to send without triggering a download (used by the download itself).
    func knownSerial() -> String? {
        mode.publicKey?.id ?? newest?.serialNumber
    }

    /// The key that signed under `serial`, refreshing the certificates once when unknown.
    ///
    /// In every mode: a merchant trusting the public key sees platform-certificate serials
    /// while WeChat Pay migrates it ("both kinds of signature arrive: route by serial"), and
    /// the first such answer makes it download the certificates, as any unknown serial does.
    func key(forSerial serial: String, download: @escaping Download) async throws(ResponseVerificationFailure) -> _RSA.Signing.PublicKey {
        if let known = lookup(serial) { return known }
        guard !serial.hasPrefix(WeChatPayPublicKey.prefix) else {
            throw .unknownSerial(serial)
        }
        _ = try? await refresh(download: download)
        if let known = lookup(serial) { return known }
        throw .unknownSerial(serial)
    }

    /// Adds certificates that arrived outside a download (the download's own answer).
    func lookup(_ serial: String, in extra: [PlatformCertificate]) -> _RSA.Signing.PublicKey? {
        if let key = lookup(serial) { return key }
        return extra.first { PlatformCertificateList.sameSerial($0.serialNumber, serial) }?.publicKey
    }

    /// Downloads the certificates now (joining a download already under way).
    func refresh(download: @escaping Download) async throws(WeChatPayError) {
        let task: Task<[PlatformCertificate], any Error>
        if let running = inFlight {
            task = running
        } else {
            // Owned by the store and awaited by every caller that asked for a refresh.
            task = Task { try await download() }
            inFlight = task
        }
        let result = await task.result
        if inFlight == task { inFlight = nil }
        switch result {
        case .success(let fresh):
            install(fresh)
        case .failure(let error as WeChatPayError):
            throw error
        case .failure(let error):
            throw .certificatesUnavailable(reason: "\(error)")
        }
    }

    /// Serials currently trusted (platform certificates, then the public key id).
    var trustedSerials: [String] {
        certificates.keys.sorted() + (mode.publicKey.map { [$0.id] } ?? [])
    }

    private func install(_ fresh: [PlatformCertificate]) {
        for certificate in fresh {
            certificates[PlatformCertificateList.normalSerial(certificate.serialNumber)] = certificate
        }
        // The newest is the one expiring last; on a tie, the one listed last.
        for certificate in fresh where newest.map({ certificate.notValidAfter >= $0.notValidAfter }) ?? true {
            newest = certificate
        }
        lastRefresh = clock.now
        downloads += 1
    }

    private var isStale: Bool {
        guard let lastRefresh else { return true }
        return lastRefresh.advanced(by: refreshInterval) < clock.now
    }

    private func lookup(_ serial: String) -> _RSA.Signing.PublicKey? {
        if let publicKey = mode.publicKey, publicKey.id == serial { return publicKey.key }
        guard let certificate = certificates[PlatformCertificateList.normalSerial(serial)],
            certificate.isValid(at: wallClock(), tolerance: clockSkew)
        else { return nil }
        return certificate.publicKey
    }
}
