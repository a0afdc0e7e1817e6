import CouponWorker
import Foundation
import Hummingbird
import HummingbirdCore
import IdempotencyStore
import Logging
import Metrics
import NIOCore
import Prometheus

/// The operator's HTTP port: `/healthz`, `/readyz`, `/metrics` for probes and Prometheus, and
/// `/requests/{out_request_no}` for on-call operators.
///
/// The first three are open and carry no customer data (no `out_request_no`, openid or coupon
/// code in any body or label). `/requests` shows idempotency records, which do: it exists only
/// when an `AdminToken` is configured (404 otherwise, exactly like an unknown path) and answers
/// only `Authorization: Bearer <token>`; anything else gets 401 with an empty body, counted in
/// `coupon_admin_unauthorized_total`.
///
/// The port may be reachable by anyone who can reach the pod, so it holds nothing for long:
/// request bodies are refused unread (`RequestBodyRefusal`), headers are bounded
/// (`headerLimits`), and a connection idle for `idleTimeout` is closed.
public enum SidePort {
    /// How long a connection may stay open without a request: a connection that never
    /// completes its request head (or sits between requests) is closed after this. Probes and
    /// scrapes send at once, so they never wait for it.
    static let idleTimeout: TimeAmount = .seconds(10)

    /// Bounds on a request head: GETs from probes, Prometheus and curl need a few hundred bytes.
    /// A head beyond them is answered 400 and the connection closed.
    static let headerLimits = HTTP1Channel.Configuration.DecoderConfiguration(
        maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 16 * 1024, maxHeaderFieldCount: 64)

    /// The side port's server, to run as a `Service` next to `worker`; `/requests` only with
    /// `adminToken`.
    public static func application(
        host: String, port: Int, worker: CouponWorker, store: any IdempotencyStore, adminToken: AdminToken?,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            let report = LivenessReport(worker.status)
            return Response(
                status: report.isLive ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: report.body)))
        }
        router.get("readyz") { _, _ -> Response in
            let status = worker.status
            let body = """
                {"ready":\(status.isReady),"assigned_partitions":\(status.assignedPartitions),\
                "paused_partitions":\(status.pausedPartitions),"in_flight":\(status.inFlight),\
                "store_ok":\(status.storeError == nil)}\n
                """
            return Response(
                status: status.isReady ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        if let adminToken {
            // Registered up front so the series reads 0 before the first refusal.
            let unauthorized = Counter(label: "coupon_admin_unauthorized_total")
            router.get("requests/:out_request_no") { request, context -> Response in
                guard adminToken.accepts(authorization: request.headers[.authorization]) else {
                    unauthorized.increment()
                    return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
                }
                return await records(outRequestNo: try context.parameters.require("out_request_no"), store: store)
            }
        }
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [RequestBodyRefusal()], idleTimeout: idleTimeout,
                httpDecoderConfiguration: headerLimits)),
            configuration: .init(address: .hostname(host, port: port), serverName: "coupon-worker"),
            logger: logger)
    }

    /// The idempotency records of one `out_request_no`, for an operator already authorised.
    private static func records(outRequestNo id: String, store: any IdempotencyStore) async -> Response {
        guard id.utf8.count <= 128 else { return Response(status: .badRequest) }
        let records: [IdempotencyRecord]
        do {
            records = try await store.records(outRequestNo: id)
        } catch {
            return Response(status: .serviceUnavailable)
        }
        guard !records.isEmpty else { return Response(status: .notFound) }
        let body = "[" + records.map(RecordView.json).joined(separator: ",") + "]\n"
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// An idempotency record as operators see it on `/requests/{out_request_no}`.
enum RecordView {
    static func json(_ record: IdempotencyRecord) -> String {
        var object: [String: Any] = [
            "key": record.key.description,
            "provider": record.key.provider.rawValue,
            "merchant": record.key.merchant,
            "out_request_no": record.key.outRequestNo,
            "fingerprint": record.fingerprint.hex,
            "state": record.state.rawValue,
            "attempts": record.attempts,
            "takeovers": record.takeovers,
            "created_at": ISO8601DateFormatter().string(from: record.createdAt),
            "updated_at": ISO8601DateFormatter().string(from: record.updatedAt),
        ]
        if let owner = record.leaseOwner { object["lease_owner"] = owner }
        if let until = record.leaseUntil { object["lease_until"] = ISO8601DateFormatter().string(from: until) }
        if let status = record.resultStatus { object["result_status"] = status.rawValue }
        if let bytes = record.resultEvent, let event = try? JSONSerialization.jsonObject(with: Data(bytes)) {
            object["result"] = event
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
