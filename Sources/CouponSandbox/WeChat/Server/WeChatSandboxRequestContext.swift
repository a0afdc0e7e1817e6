import Hummingbird
import NIOCore

/// The request context of the WeChat Pay sandbox: Hummingbird's core storage plus the
/// connection, so a `.connectionReset` fault can close it without answering.
struct WeChatSandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
