import Crypto

extension ResultEvent {
    /// The `event_id` of a result: a UUID (RFC 9562 version 8, "custom") made of the first
    /// 128 bits of SHA-256 over the canonical JSON of these inputs.
    ///
    /// Deterministic, so a replayed result carries the id of the original and consumers can
    /// drop duplicates by id; any difference in out_request_no, key, status or fingerprint
    /// gives another id, and so does, for a `failed` outcome, its error's code or `retryable`:
    /// a key reopened after a retryable failure can fail again differently (`RATE_LIMITED`
    /// retryable, then `PROVIDER_REJECTED` for good), and that second outcome is news, not a
    /// duplicate. Other statuses are final at their first outcome, so `error` does not enter
    /// their ids (they are the same as before failed ids named the error). Use
    /// `key`/`fingerprint` nil only where none exists (a command rejected before its key could
    /// be built; see `rejected(_:message:topicKind:source:at:)`).
    public static func eventID(
        outRequestNo: String, key: IdempotencyKey?, status: ResultStatus, fingerprint: CommandFingerprint?,
        error: ResultError?
    ) -> String {
        // Structured input, not string concatenation: no two different inputs share bytes.
        let keyValue: JSONValue =
            key.map {
                .object([
                    "provider": .string($0.provider.rawValue), "merchant": .string($0.merchant),
                    "out_request_no": .string($0.outRequestNo),
                ])
            } ?? .null
        let fingerprintValue: JSONValue = fingerprint.map { .string($0.hex) } ?? .null
        let outRequestNoValue = JSONValue.string(outRequestNo), statusValue = JSONValue.string(status.rawValue)
        // Members in canonical order: written as they come, no dictionary to build and sort.
        let canonical: [UInt8]
        if status == .failed, let error {
            canonical = CanonicalJSON.bytes(ofSortedMembers: [
                "error": .object(["code": .string(error.code.rawValue), "retryable": .bool(error.retryable)]),
                "fingerprint": fingerprintValue, "key": keyValue, "out_request_no": outRequestNoValue, "status": statusValue,
                "v": 1,
            ])
        } else {
            canonical = CanonicalJSON.bytes(ofSortedMembers: [
                "fingerprint": fingerprintValue, "key": keyValue, "out_request_no": outRequestNoValue, "status": statusValue,
                "v": 1,
            ])
        }
        var bytes = SHA256.hash(data: canonical).withUnsafeBytes { Array($0.prefix(16)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 0b10
        return LowercaseHex.text(bytes, dashesBefore: [4, 6, 8, 10])  // 8-4-4-4-12
    }
}
