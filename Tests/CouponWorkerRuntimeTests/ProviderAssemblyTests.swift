import AsyncHTTPClient
import CouponWorker
import Logging
import Testing
import Zvcms

@testable import CouponWorkerRuntime

/// `ProviderAssembly`: the routes `run`, `demo`, `bench` and the test harness all use.
@Suite("Provider assembly")
struct ProviderAssemblyTests {
    static func directory(_ settings: WorkerSettings) async throws -> ProviderDirectory {
        // The routes are only inspected, never called: the client can be shut down at once.
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        let directory: ProviderDirectory
        do {
            directory = try ProviderAssembly.directory(
                settings, httpClient: httpClient, timeout: .seconds(5), logger: Logger(label: "provider-assembly"))
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        return directory
    }

    @Test("a zvcms account gets one limiter at its rate_per_second; by default zvcms's 10 requests/s")
    func zvcmsAccountLimiter() async throws {
        let folder = try ConfigFolder()
        let key = try folder.write("open-key", "zvcms-open-key\n")
        var settings = WorkerSettings()
        settings.zvcms.accounts = [
            .init(openID: "default-rate", grantCode: "gc", openKeyFile: key, baseURL: "http://127.0.0.1:9"),
            .init(openID: "own-rate", grantCode: "gc", openKeyFile: key, baseURL: "http://127.0.0.1:9", ratePerSecond: 4),
        ]
        let directory = try await Self.directory(settings)
        #expect(directory.merchants(of: .zvcms) == ["default-rate", "own-rate"])
        let standard = try #require(directory.route(provider: .zvcms, merchant: "default-rate")).limiter
        #expect(standard.ratePerSecond == 10)
        #expect(standard.burst == 1, "one at a time: a stored second of tokens would let 20 through in one second")
        let own = try #require(directory.route(provider: .zvcms, merchant: "own-rate")).limiter
        #expect(own.ratePerSecond == 4)
        #expect(own.burst == 1)
        #expect(ProviderAssembly.limiter(500).burst == 5, "WeChat's default: a hundredth of a second's calls at once")
    }

    @Test("a zvcms account's endpoints override the assumed paths and issue field names one by one; the rest keep their defaults")
    func zvcmsEndpointsFromSettings() async throws {
        let folder = try ConfigFolder()
        let key = try folder.write("open-key", "zvcms-open-key\n")
        let json = #"""
            {"zvcms":{"accounts":[{"open_id":"oid","grant_code":"gc","open_key_file":"\#(key)","base_url":"http://127.0.0.1:9",
             "endpoints":{"issue_path":"coupon/sendToCustomer","issue_fields":{"biz_id":"outBizNo"}}}]}}
            """#
        let configFile = try folder.write("config.json", json)
        let settings = try WorkerSettings.load(file: configFile, environment: [:])
        let directory = try await Self.directory(settings)
        let route = try #require(directory.route(provider: .zvcms, merchant: "oid"))
        let endpoints = try #require(route.client as? ZvcmsCouponProvider).client.account.endpoints
        #expect(endpoints.issuePath == "coupon/sendToCustomer")
        #expect(endpoints.issueFields.bizID == "outBizNo")
        let defaults = ZvcmsEndpoints()
        #expect(endpoints.couponStatusPath == defaults.couponStatusPath)
        #expect(endpoints.issueFields.couponID == defaults.issueFields.couponID)
        #expect(endpoints.v3Prefix == defaults.v3Prefix)
    }
}
