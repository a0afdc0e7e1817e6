import Hummingbird
import NIOCore

/// The request context of every sandbox: Hummingbird's core storage plus the connection,
/// so a fault can close it without answering or hold an answer until the client gives up.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
