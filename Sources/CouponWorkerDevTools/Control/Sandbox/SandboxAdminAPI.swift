import CouponSandbox
import Hummingbird

/// The admin API of `sandbox --admin-port`: sets the faults the provider sandboxes suffer
/// and reports what they really issued, for a test running in another process.
///
/// - `GET /` → `{"wechat_base_url":"…","zvcms_base_url":"…"}`
/// - `POST /faults {"provider":"wechat|zvcms|both","mix":[{"fault":…,"probability":0.05},…],"latency_ms":0}`
///   → 204: replaces the random mix and the added latency of the named sandboxes
/// - `POST /faults/inject {"provider":…,"fault":{…},"times":3,"path_contains":"…"}` → 204: the
///   next `times` matching requests suffer the fault (before any mix)
/// - `DELETE /faults` → 204: both sandboxes back to healthy (queued faults, mix and latency)
/// - `GET /issuances` → `{"wechat":{"<out_request_no>":n,…},"zvcms":{…}}` (keys issued at least once)
///
/// A bad body answers 400 with `{"error":{"message":"…"}}` naming the field.
struct SandboxAdminAPI: Sendable {
    let sandboxes: ProviderSandboxes

    private struct BaseURLs: Encodable {
        var wechatBaseURL: String
        var zvcmsBaseURL: String

        enum CodingKeys: String, CodingKey {
            case wechatBaseURL = "wechat_base_url"
            case zvcmsBaseURL = "zvcms_base_url"
        }
    }

    private struct FaultMix: Decodable {
        var provider: FaultTarget
        var mix: [FaultSpecification]
        var latencyMilliseconds: Int?

        enum CodingKeys: String, CodingKey {
            case provider, mix
            case latencyMilliseconds = "latency_ms"
        }
    }

    private struct FaultInjection: Decodable {
        var provider: FaultTarget
        var fault: FaultSpecification
        var times: Int?
        var pathContains: String?

        enum CodingKeys: String, CodingKey {
            case provider, fault, times
            case pathContains = "path_contains"
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in
            try ControlResponse.json(BaseURLs(wechatBaseURL: sandboxes.wechatBaseURL, zvcmsBaseURL: sandboxes.zvcmsBaseURL))
        }
        router.post("faults") { request, _ -> HTTPResponse.Status in
            let body = try await ControlRequestBody.decode(FaultMix.self, from: request)
            var mix: [(fault: SandboxFault, probability: Double)] = []
            for (index, entry) in body.mix.enumerated() {
                guard let probability = entry.probability else {
                    throw ControlRequestError.invalidBody(problem: "mix[\(index)].probability is missing")
                }
                mix.append((entry.fault, probability))
            }
            let latency = body.latencyMilliseconds ?? 0
            guard latency >= 0 else { throw ControlRequestError.invalidBody(problem: "latency_ms must not be negative") }
            for injector in body.provider.injectors(of: sandboxes) {
                injector.setMix(mix)
                injector.latency = .milliseconds(latency)
            }
            return .noContent
        }
        router.post("faults/inject") { request, _ -> HTTPResponse.Status in
            let body = try await ControlRequestBody.decode(FaultInjection.self, from: request)
            let times = body.times ?? 1
            guard times >= 1 else { throw ControlRequestError.invalidBody(problem: "times must be at least 1") }
            for injector in body.provider.injectors(of: sandboxes) {
                injector.inject(body.fault.fault, times: times, pathContains: body.pathContains)
            }
            return .noContent
        }
        router.delete("faults") { _, _ -> HTTPResponse.Status in
            for injector in FaultTarget.both.injectors(of: sandboxes) {
                injector.clear()
                injector.latency = .zero
            }
            return .noContent
        }
        router.get("issuances") { _, _ in
            try ControlResponse.json(sandboxes.issuanceCounts())
        }
        return router
    }
}
