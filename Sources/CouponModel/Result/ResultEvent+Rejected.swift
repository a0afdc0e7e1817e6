import Foundation

extension ResultEvent {
    /// The `rejected` result for a message `CommandDecoder` refused, or nil when the rejection
    /// holds no valid out_request_no (from the message, or from its record's key: see
    /// `CommandRejection.fallBack(toRecordKey:)`); then only the DLQ record tells of it: a
    /// result is keyed and identified by its out_request_no.
    ///
    /// The event id uses the SHA-256 of the raw message as fingerprint: a redelivered bad
    /// message gets the same id, a different bad message under the same out_request_no
    /// another one.
    ///
    /// - Parameters:
    ///   - topicKind: the kind of topic the message came from, used for `command` when the
    ///     operation could not be read.
    public static func rejected(
        _ rejection: CommandRejection, message: [UInt8], topicKind: CommandKind?, source: SourcePosition?, at date: Date
    ) -> ResultEvent? {
        guard let outRequestNo = rejection.outRequestNo else { return nil }
        return ResultEvent(
            eventId: eventID(
                outRequestNo: outRequestNo, key: nil, status: .rejected,
                fingerprint: CommandFingerprint(messageBytes: message), error: rejection.resultError),
            outRequestNo: outRequestNo,
            command: rejection.operation?.kind ?? topicKind,
            provider: rejection.provider?.rawValue,
            operation: rejection.operation?.rawValue,
            merchant: rejection.merchant,
            status: .rejected,
            data: nil,
            error: rejection.resultError,
            attempts: 0,
            replayed: false,
            occurredAt: timestamp(date),
            source: source)
    }
}
