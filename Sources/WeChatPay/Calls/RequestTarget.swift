/// A request's path and query exactly as they go on the wire and into the signature.
///
/// Built once from literal segments and parameter values; every parameter (path or query) is
/// percent-encoded with only RFC 3986 unreserved characters kept, and nothing is ever
/// case-changed (a lower-cased `{openid}` breaks `users/{openid}/coupons`). The string is
/// computed once, so the signed bytes and the sent bytes cannot drift apart.
public struct RequestTarget: Sendable, Hashable, CustomStringConvertible {
    /// One path segment: a fixed name from the API, or a caller's value.
    public enum Segment: Sendable, Hashable, ExpressibleByStringLiteral {
        case literal(String)
        case parameter(String)

        public init(stringLiteral value: String) { self = .literal(value) }
    }

    /// `/path?query`, ready to append to a base URL and to sign.
    public let pathAndQuery: String
    /// The path with every parameter as `{param}` and no query: what a trace may name
    /// (`url.template`), never an id, an openid or a coupon code.
    public let template: String

    /// A target from its segments and query items (items with a nil value are left out,
    /// the rest keep their order).
    public init(_ segments: [Segment], query: [(name: String, value: String?)] = []) {
        var path = ""
        var template = ""
        for segment in segments {
            path += "/"
            template += "/"
            switch segment {
            case .literal(let name):
                path += name
                template += name
            case .parameter(let value):
                path += Self.percentEncode(value)
                template += "{param}"
            }
        }
        self.template = template
        let items = query.compactMap { item in
            item.value.map { Self.percentEncode(item.name) + "=" + Self.percentEncode($0) }
        }
        self.pathAndQuery = items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    public var description: String { pathAndQuery }

    /// Percent-encodes every byte of the UTF-8 form except RFC 3986 unreserved characters
    /// (`A–Z a–z 0–9 - . _ ~`), with upper-case hex digits.
    public static func percentEncode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
