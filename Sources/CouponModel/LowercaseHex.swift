/// Bytes as lower-case hexadecimal text, the form fingerprints and event ids are written in.
enum LowercaseHex {
    /// Two digits per byte; a `-` before each byte index in `dashesBefore` (a UUID's groups).
    static func text(_ bytes: some Collection<UInt8>, dashesBefore: [Int] = []) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: bytes.count * 2 + dashesBefore.count) { text in
            var count = 0
            for (index, byte) in bytes.enumerated() {
                if dashesBefore.contains(index) {
                    text[count] = UInt8(ascii: "-")
                    count += 1
                }
                text[count] = digits.utf8Start[Int(byte >> 4)]
                text[count + 1] = digits.utf8Start[Int(byte & 0x0F)]
                count += 2
            }
            return count
        }
    }
}
