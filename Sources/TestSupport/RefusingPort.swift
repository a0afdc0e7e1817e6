#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port that refuses every connection until `close()`: bound and never
/// listening. A port that was merely free can be handed to another test's server in between
/// (tests run in parallel), and a client meant to be refused would then reach that server;
/// a bound port cannot be.
public final class RefusingPort: Sendable {
    /// The port number (on 127.0.0.1).
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Failure(call: bound == 0 ? "getsockname" : "bind", code: code)
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Gives the port back.
    public func close() {
        Glibc.close(descriptor)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call) failed: errno \(code)" }
    }
}
