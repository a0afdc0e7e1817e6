import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which the
/// sandbox needs to reset a connection or hold an answer until the client gives up.
struct ZvcmsSandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
