import CouponModel

/// The limits on what a store accepts, checked before any SQL runs so bad input becomes a typed
/// error instead of a truncated value (SQLite) or a driver error (PostgreSQL rejects NUL in text).
///
/// Swift `String`s are always valid Unicode (no lone surrogates), so the only text a database
/// cannot hold faithfully is one containing NUL.
enum StoreInput {
    /// The longest out_request_no the command contract allows, in characters.
    static let maximumOutRequestNoLength = 128
    /// The longest whole key (`provider:merchant:out_request_no`), in UTF-8 bytes.
    static let maximumKeyBytes = 256
    /// The longest owner or fingerprint, in UTF-8 bytes: they are ids, not documents.
    static let maximumTokenBytes = 256

    static func check(_ key: IdempotencyKey) throws(StoreError) {
        try checkOutRequestNo(key.outRequestNo)
        try checkText(key.merchant, named: "merchant")
        // The length of `key.description`, without building it on every store call.
        let keyBytes = key.provider.rawValue.utf8.count + key.merchant.utf8.count + key.outRequestNo.utf8.count + 2
        guard keyBytes <= maximumKeyBytes else { throw .keyTooLong(keyBytes) }
    }

    static func checkOutRequestNo(_ outRequestNo: String) throws(StoreError) {
        guard !outRequestNo.isEmpty else { throw .invalidInput("out_request_no is empty") }
        let length = outRequestNo.count
        guard length <= maximumOutRequestNoLength else { throw .keyTooLong(length) }
        try checkText(outRequestNo, named: "out_request_no")
    }

    static func checkOwner(_ owner: String) throws(StoreError) {
        try checkToken(owner, named: "owner")
    }

    static func check(_ fingerprint: CommandFingerprint) throws(StoreError) {
        try checkToken(fingerprint.hex, named: "fingerprint")
    }

    static func check(_ request: ClaimRequest) throws(StoreError) {
        try check(request.key)
        try checkOwner(request.owner)
        try check(request.fingerprint)
        try checkToken(request.source, named: "source")
        guard request.leaseDuration > .zero else { throw .invalidInput("lease duration must be positive") }
    }

    static func check(_ lease: Lease, duration: Duration) throws(StoreError) {
        try check(lease.key)
        guard duration > .zero else { throw .invalidInput("lease duration must be positive") }
    }

    private static func checkToken(_ value: String, named name: String) throws(StoreError) {
        guard !value.isEmpty else { throw .invalidInput("\(name) is empty") }
        let bytes = value.utf8.count
        guard bytes <= maximumTokenBytes else {
            throw .invalidInput("\(name) is \(bytes) bytes long, more than \(maximumTokenBytes)")
        }
        try checkText(value, named: name)
    }

    private static func checkText(_ value: String, named name: String) throws(StoreError) {
        guard !value.utf8.contains(0) else { throw .invalidInput("\(name) contains a NUL character") }
    }
}
