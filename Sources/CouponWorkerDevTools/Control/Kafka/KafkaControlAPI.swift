import Hummingbird
import Kafka

/// The control API of `dev-kafka --control-port`: breaks the mock cluster on purpose from
/// another process (the reliability suite), with librdkafka's own fault injection.
///
/// - `GET /` → `{"bootstrap_servers":"…","brokers":[1,2,3]}`
/// - `POST /brokers/{id}/down`, `POST /brokers/{id}/up` → 204
/// - `POST /request-errors {"request":"produce","errors":["NOT_LEADER_FOR_PARTITION",…]}` → 204:
///   the next requests of that type (to any broker) fail with those errors, in order
/// - `POST /groups/{group}/coordinator/{broker_id}` → 204
/// - `POST /topics {"name":"t","partitions":6}` → 204 (409 when it exists)
///
/// Errors answer `{"error":{"message":"…"}}`: 400 for a bad body or unknown name, 404 for an
/// unknown broker.
struct KafkaControlAPI: Sendable {
    let cluster: KafkaMockCluster
    /// The cluster's broker ids (the mock numbers them from 1).
    let brokers: ClosedRange<Int32>

    private struct ClusterDescription: Encodable {
        var bootstrapServers: String
        var brokers: [Int32]

        enum CodingKeys: String, CodingKey {
            case bootstrapServers = "bootstrap_servers"
            case brokers
        }
    }

    private struct RequestErrors: Decodable {
        var request: String
        var errors: [String]
    }

    private struct NewTopic: Decodable {
        var name: String
        var partitions: Int32
        var replicationFactor: Int32?

        enum CodingKeys: String, CodingKey {
            case name, partitions
            case replicationFactor = "replication_factor"
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in
            try ControlResponse.json(ClusterDescription(bootstrapServers: cluster.bootstrapServers, brokers: Array(brokers)))
        }
        router.post("brokers/:id/down") { _, context -> HTTPResponse.Status in
            let id = try broker(context.parameters.require("id", as: Int32.self))
            try perform { () throws(KafkaError) in try cluster.setBrokerDown(id) }
            return .noContent
        }
        router.post("brokers/:id/up") { _, context -> HTTPResponse.Status in
            let id = try broker(context.parameters.require("id", as: Int32.self))
            try perform { () throws(KafkaError) in try cluster.setBrokerUp(id) }
            return .noContent
        }
        router.post("request-errors") { request, _ -> HTTPResponse.Status in
            let body = try await ControlRequestBody.decode(RequestErrors.self, from: request)
            guard let type = KafkaProtocolRequest.controlNames[body.request] else {
                throw ControlRequestError.unknownRequestType(body.request, known: KafkaProtocolRequest.controlNames.keys.sorted())
            }
            let codes = try body.errors.map { name in
                guard let code = KafkaErrorNames.code(named: name) else { throw ControlRequestError.unknownErrorName(name) }
                return code
            }
            try perform { () throws(KafkaError) in try cluster.pushRequestErrors(type, errors: codes) }
            return .noContent
        }
        router.post("groups/:group/coordinator/:broker_id") { _, context -> HTTPResponse.Status in
            let group = try context.parameters.require("group")
            let id = try broker(context.parameters.require("broker_id", as: Int32.self))
            try perform { () throws(KafkaError) in try cluster.setGroupCoordinator(group: group, brokerID: id) }
            return .noContent
        }
        router.post("topics") { request, _ -> HTTPResponse.Status in
            let topic = try await ControlRequestBody.decode(NewTopic.self, from: request)
            guard !topic.name.isEmpty else { throw ControlRequestError.invalidBody(problem: "name must not be empty") }
            guard topic.partitions >= 1 else { throw ControlRequestError.invalidBody(problem: "partitions must be at least 1") }
            let replicationFactor = topic.replicationFactor ?? 1
            guard brokers.contains(replicationFactor) else {
                throw ControlRequestError.invalidBody(problem: "replication_factor must be 1...\(brokers.upperBound)")
            }
            do throws(KafkaError) {
                try cluster.createTopic(topic.name, partitions: topic.partitions, replicationFactor: replicationFactor)
            } catch where error.code == .topicAlreadyExists {
                throw ControlRequestError.topicExists(topic.name)
            } catch {
                throw ControlRequestError.clusterRefused(reason: error.description)
            }
            return .noContent
        }
        return router
    }

    private func broker(_ id: Int32) throws(ControlRequestError) -> Int32 {
        guard brokers.contains(id) else { throw .unknownBroker(id, brokers: brokers) }
        return id
    }

    private func perform(_ operation: () throws(KafkaError) -> Void) throws(ControlRequestError) {
        do {
            try operation()
        } catch {
            throw .clusterRefused(reason: error.description)
        }
    }
}
