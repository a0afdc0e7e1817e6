import CouponModel
import Foundation

/// A record's columns as the database returned them, before they are trusted.
///
/// Both backends read their rows into this shape, so turning columns into an
/// ``IdempotencyRecord`` (and noticing a row someone edited by hand) happens in one place.
struct StoredRow: Sendable {
    var provider: String
    var merchant: String
    var outRequestNo: String
    var fingerprint: String
    var state: String
    var leaseOwner: String?
    var leaseUntilMs: Int64?
    var attempts: Int64
    var takeovers: Int64
    var resultStatus: String?
    var resultEvent: [UInt8]?
    var createdAtMs: Int64
    var updatedAtMs: Int64
    var fence: Int64
    var inDoubt: Int64
    var source: String?
    var reopenable: Int64
    /// How the row was last granted: `claim`, `takeover` or `reopen` (nil before version 2).
    var claimKind: String?

    /// The columns every statement returns, in this order.
    static let columns = """
        provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms, \
        attempts, takeovers, result_status, result_event, created_at_ms, updated_at_ms, \
        fence, in_doubt, source, reopenable, claim_kind
        """

    func record() throws(StoreError) -> IdempotencyRecord {
        let location = "\(provider):\(merchant):\(outRequestNo)"
        guard let providerName = ProviderName(rawValue: provider) else {
            throw .corrupted("\(location): unknown provider \(provider)")
        }
        guard let recordState = RecordState(rawValue: state) else {
            throw .corrupted("\(location): unknown state \(state)")
        }
        var status: ResultStatus?
        if let resultStatus {
            guard let known = ResultStatus(rawValue: resultStatus) else {
                throw .corrupted("\(location): unknown result status \(resultStatus)")
            }
            status = known
        }
        if recordState == .final, status == nil || resultEvent == nil {
            throw .corrupted("\(location): final without a stored result")
        }
        return IdempotencyRecord(
            key: IdempotencyKey(provider: providerName, merchant: merchant, outRequestNo: outRequestNo),
            fingerprint: CommandFingerprint(hex: fingerprint),
            state: recordState,
            leaseOwner: leaseOwner,
            leaseUntil: leaseUntilMs.map(Date.init(epochMilliseconds:)),
            attempts: Int(attempts),
            takeovers: Int(takeovers),
            resultStatus: status,
            resultEvent: resultEvent,
            createdAt: Date(epochMilliseconds: createdAtMs),
            updatedAt: Date(epochMilliseconds: updatedAtMs),
            fence: fence,
            inDoubt: inDoubt != 0,
            source: source,
            reopenable: reopenable != 0
        )
    }
}
