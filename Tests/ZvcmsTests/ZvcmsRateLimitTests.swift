import Testing
import Zvcms

@Suite("ZvcmsRateLimit")
struct ZvcmsRateLimitTests {
    @Test("the zvcms default limit is the platform's 10 requests per second per endpoint")
    func zvcmsDefault() {
        #expect(ZvcmsRateLimit.default == .perEndpoint(requestsPerSecond: 10, burst: 10))
    }
}
