import CouponWorker
import Foundation
import Hummingbird
import IdempotencyStore
import Logging
import Prometheus

/// The operator's HTTP port: `/healthz`, `/readyz`, `/metrics`, `/requests/{out_request_no}`.
enum SidePort {
    static func application(
        host: String, port: Int, worker: CouponWorker, store: any IdempotencyStore,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            // Not live when a command is stuck: the orchestrator restarts the instance and
            // the command's claim protects it (see CouponWorker.Configuration.stuckCommandLimit).
            let status = worker.status
            let body = status.isLive
                ? "ok\n"
                : "stuck: a command has run for \(Int((status.oldestCommandAge ?? .zero) / .seconds(1))) s\n"
            return Response(
                status: status.isLive ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
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
        router.get("requests/:out_request_no") { _, context -> Response in
            let id = try context.parameters.require("out_request_no")
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
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "coupon-worker"),
            logger: logger)
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
