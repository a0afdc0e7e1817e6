import CouponSandbox
import Foundation
import Synchronization
import Testing

@testable import WeChatPay

@Suite("Platform certificate store")
struct PlatformCertificateStoreTests {
    /// A wall clock the test moves by hand.
    final class HandClock: Sendable {
        private let date: Mutex<Date>
        init(_ date: Date) { self.date = Mutex(date) }
        var now: Date { date.withLock { $0 } }
        func set(_ new: Date) { date.withLock { $0 = new } }
    }

    @Test("a kept certificate verifies until it expires (plus the clock skew), then its serial is unknown")
    func expiredKeptCertificateNoLongerVerifies() async throws {
        let start = Date()
        let clock = HandClock(start)
        let certificate = try PlatformCertificate(pem: WeChatPlatformKey.generate(now: start).certificatePEM)
        let store = PlatformCertificateStore(
            mode: .platformCertificates, refreshInterval: .seconds(3600), clockSkew: 300, wallClock: { clock.now })
        let download: PlatformCertificateStore.Download = { [certificate] in [certificate] }
        try await store.refresh(download: download)

        _ = try await store.key(forSerial: certificate.serialNumber, download: download)
        clock.set(certificate.notValidAfter.addingTimeInterval(300))
        _ = try await store.key(forSerial: certificate.serialNumber, download: download)

        clock.set(certificate.notValidAfter.addingTimeInterval(301))
        await #expect(throws: ResponseVerificationFailure.unknownSerial(certificate.serialNumber)) {
            try await store.key(forSerial: certificate.serialNumber, download: download)
        }
    }
}
