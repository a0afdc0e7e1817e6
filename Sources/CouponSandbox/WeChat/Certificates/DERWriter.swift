/// Writes the handful of DER elements a self-signed X.509 certificate needs.
///
/// The sandbox makes its platform certificates itself (swift-certificates is not a
/// dependency); DER is simple enough for the fixed shape used here.
enum DERWriter {
    static func element(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { element(tag: 0x30, parts.flatMap { $0 }) }

    static func set(_ parts: [UInt8]...) -> [UInt8] { element(tag: 0x31, parts.flatMap { $0 }) }

    /// A non-negative INTEGER from big-endian magnitude bytes (a 0x00 is prefixed when the
    /// top bit is set, so the value stays positive).
    static func integer(magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop(while: { $0 == 0 }))
        if bytes.isEmpty { bytes = [0] }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return element(tag: 0x02, bytes)
    }

    static func objectIdentifier(_ encoded: [UInt8]) -> [UInt8] { element(tag: 0x06, encoded) }

    static let null: [UInt8] = [0x05, 0x00]

    static func utf8String(_ text: String) -> [UInt8] { element(tag: 0x0C, Array(text.utf8)) }

    /// UTCTime `YYMMDDHHMMSSZ` (valid for years 1950–2049).
    static func utcTime(_ text: String) -> [UInt8] { element(tag: 0x17, Array(text.utf8)) }

    static func bitString(_ bytes: [UInt8]) -> [UInt8] { element(tag: 0x03, [0x00] + bytes) }

    static func explicit(_ number: UInt8, _ content: [UInt8]) -> [UInt8] { element(tag: 0xA0 | number, content) }

    private static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var remaining = count
        while remaining > 0 {
            bytes.insert(UInt8(remaining & 0xFF), at: 0)
            remaining >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
