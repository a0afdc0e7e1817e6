import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Refuses, on the side port, every request that carries a body: answers 413 and closes the
/// connection without passing the request (or its body) on.
///
/// The side port serves GETs only. A body there is a mistake or an attempt to make the process
/// read data, and Hummingbird would read (drain) a body its handler ignored, so the refusal sits
/// in the channel, before Hummingbird sees the request. A request carries a body when it has a
/// `Transfer-Encoding` or a `Content-Length` other than 0 (RFC 9112 §6.1–6.3).
///
/// Answers keep their order: when earlier requests of the same connection (pipelined) are
/// still being answered, the 413 waits until the last of their responses has ended.
/// One instance per connection; it lives on that connection's event loop.
final class RequestBodyRefusal: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests passed on whose response has not ended yet.
    private var unanswered = 0
    /// A request with a body arrived: nothing more is passed on, and the connection closes
    /// once the 413 is written.
    private var refusing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        let part = unwrapInboundIn(data)
        if case .head(let request) = part {
            if Self.carriesBody(request) {
                refusing = true
                if unanswered == 0 { refuse(context: context) }
                return
            }
            unanswered += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended: Bool
        if case .end = unwrapOutboundIn(data) { ended = true } else { ended = false }
        context.write(data, promise: promise)
        guard ended else { return }
        unanswered -= 1
        if refusing && unanswered == 0 { refuse(context: context) }
    }

    static func carriesBody(_ request: HTTPRequest) -> Bool {
        if request.headerFields[.transferEncoding] != nil { return true }
        guard let length = request.headerFields[.contentLength] else { return false }
        return Int(length) != 0
    }

    private func refuse(context: ChannelHandlerContext) {
        let head = HTTPResponse(status: .contentTooLarge, headerFields: [.contentLength: "0", .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
