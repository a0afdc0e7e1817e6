import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Tracing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One HTTP exchange with a WeChat Pay host over a shared `HTTPClient`, with transport
/// failures sorted by whether the request can have reached the server.
struct WeChatPayTransport: Sendable {
    /// A complete answer: status, headers and the body bytes exactly as received.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    let httpClient: HTTPClient
    let timeout: TimeAmount
    /// Larger answers are refused; busifavor answers are a few kilobytes.
    let maxBodyBytes = 4 * 1024 * 1024

    /// Sends `target` to `baseURL` with `headers` and `body`, and reads the whole answer, in
    /// an HTTP client span (method, path template, host, status; never the path's values).
    func send(
        method: HTTPMethod, baseURL: String, target: RequestTarget, headers: HTTPHeaders, body: [UInt8]?
    ) async throws(WeChatPayError) -> Response {
        let host = Self.host(of: baseURL)
        let span = startSpan("\(method.rawValue) \(target.template)", ofKind: .client)
        defer { span.end() }
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["http.request.method"] = method.rawValue
                attributes["url.template"] = target.template
                attributes["server.address"] = host.split(separator: ":").first.map(String.init) ?? host
            }
        }
        do {
            let request = try HTTPClient.Request(
                url: baseURL + target.pathAndQuery, method: method, headers: headers,
                body: body.map { .byteBuffer(ByteBuffer(bytes: $0)) })
            // The deadline covers the whole answer, not only its head: an answer that stalls
            // half-way ends at the timeout too.
            let call = httpClient.execute(
                request: request, delegate: ResponseAccumulator(request: request, maxBodySize: maxBodyBytes),
                eventLoop: .indifferent, deadline: .now() + timeout, logger: nil)
            let response = try await withTaskCancellationHandler {
                try await call.futureResult.get()
            } onCancel: {
                call.cancel()
            }
            if span.isRecording { span.attributes["http.response.status_code"] = Int(response.status.code) }
            if response.status.code >= 400 { span.setStatus(SpanStatus(code: .error)) }
            return Response(
                status: Int(response.status.code), headers: response.headers,
                body: response.body.map { Array($0.readableBytesView) } ?? [])
        } catch {
            let failure = Self.classify(error, host: host)
            if span.isRecording { span.attributes["error.type"] = failure.traceName }
            span.setStatus(SpanStatus(code: .error))
            throw failure
        }
    }

    /// Sorts AsyncHTTPClient and NIO errors: connect failures never sent anything; timeouts
    /// and closed connections may have delivered the request.
    static func classify(_ error: any Error, host: String) -> WeChatPayError {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme,
                .alreadyShutdown, .tlsHandshakeTimeout:
                return .notSent(host: host, reason: "\(error)")
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timedOut(host: host)
            default:
                return .connectionLost(host: host, reason: "\(error)")
            }
        }
        if error is NIOConnectionError {
            return .notSent(host: host, reason: "connection failed")
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return .notSent(host: host, reason: "connection refused")
        }
        if error is CancellationError {
            return .connectionLost(host: host, reason: "cancelled")
        }
        return .connectionLost(host: host, reason: "\(error)")
    }

    /// `host[:port]` of a base URL, for error messages.
    static func host(of baseURL: String) -> String {
        let afterScheme = baseURL.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
        return afterScheme.map(String.init) ?? baseURL
    }
}

extension WeChatPayError {
    /// A transport failure's kind, for its span (`error.type`).
    fileprivate var traceName: String {
        switch self {
        case .notSent: "not_sent"
        case .timedOut: "timeout"
        case .connectionLost: "connection_lost"
        default: "other"
        }
    }
}
