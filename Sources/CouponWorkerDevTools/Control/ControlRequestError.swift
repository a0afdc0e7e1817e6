import Hummingbird

/// Why a control API refused a request, answered as Hummingbird's JSON error body
/// (`{"error":{"message":"…"}}`) with a status the caller can act on.
enum ControlRequestError: HTTPResponseError, CustomStringConvertible {
    /// The body is not the JSON the endpoint takes; `problem` names the field and why.
    case invalidBody(problem: String)
    /// A Kafka protocol request type the mock cluster cannot inject errors into.
    case unknownRequestType(String, known: [String])
    /// Not a librdkafka error name (without `RD_KAFKA_RESP_ERR_`).
    case unknownErrorName(String)
    /// The cluster has no broker with this id.
    case unknownBroker(Int32, brokers: ClosedRange<Int32>)
    /// A topic with this name exists already (the mock cannot change its partitions).
    case topicExists(String)
    /// The mock cluster refused the operation; `reason` is librdkafka's.
    case clusterRefused(reason: String)

    var status: HTTPResponse.Status {
        switch self {
        case .invalidBody, .unknownRequestType, .unknownErrorName: .badRequest
        case .unknownBroker: .notFound
        case .topicExists: .conflict
        case .clusterRefused: .internalServerError
        }
    }

    var description: String {
        switch self {
        case .invalidBody(let problem):
            "invalid request body: \(problem)"
        case .unknownRequestType(let name, let known):
            "unknown request type \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .unknownErrorName(let name):
            "unknown Kafka error name \"\(name)\" (use librdkafka's names without RD_KAFKA_RESP_ERR_, e.g. NOT_LEADER_FOR_PARTITION)"
        case .unknownBroker(let id, let brokers):
            "no broker \(id); brokers are \(brokers.lowerBound)...\(brokers.upperBound)"
        case .topicExists(let name):
            "topic \(name) exists already"
        case .clusterRefused(let reason):
            "the mock cluster refused: \(reason)"
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try HTTPError(status, message: description).response(from: request, context: context)
    }
}
