/// The string WeChat Pay APIv3 signs, for requests and responses alike: the parts in order,
/// each followed by `\n` (the body too), byte for byte as they travel.
enum SignedLines {
    static func message(_ parts: [ArraySlice<UInt8>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(parts.count) { $0 + $1.count })
        for part in parts {
            out.append(contentsOf: part)
            out.append(0x0A)
        }
        return out
    }
}
