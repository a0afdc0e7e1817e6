import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ZvcmsError {
    /// Classifies a transport error by whether the request can have reached zvcms.
    ///
    /// Only errors that prove no connection carried the request count as `.notSent`
    /// (connection refused, unreachable, DNS, connect timeout, no pooled connection in time).
    /// Anything else, including the overall deadline, which can also fire mid-request,
    /// is `.noAnswer`: the request may have been processed.
    init(transport error: any Error) {
        let reason = String(describing: error)
        if let error = error as? HTTPClientError {
            let beforeSending: [HTTPClientError] = [
                .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout,
                .httpProxyHandshakeTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown,
                .proxyAuthenticationRequired,
            ]
            self = beforeSending.contains(error) ? .notSent(reason: reason) : .noAnswer(reason: reason)
        } else if error is NIOConnectionError || error is SocketAddressError {
            self = .notSent(reason: reason)
        } else if let error = error as? ChannelError, case .connectTimeout = error {
            self = .notSent(reason: reason)
        } else if let error = error as? IOError,
            [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        {
            self = .notSent(reason: reason)
        } else {
            self = .noAnswer(reason: reason)
        }
    }
}
