/// CloudEvents 1.0 Kafka binary-mode headers of a result event.
///
/// In binary mode the Kafka value stays the plain result JSON and the CloudEvents
/// attributes travel as `ce_`-prefixed headers, so consumers that know nothing of
/// CloudEvents read the value as before while routers and tracing tools read the headers.
public enum CloudEventHeaders {
    /// `ce_type` of every result event; the version follows the result schema's.
    public static let resultType = "com.coupon-worker.result.v1"
    /// `ce_specversion`.
    public static let specVersion = "1.0"

    /// The headers for `event`, in a fixed order: `ce_specversion`, `ce_id` (= event_id,
    /// so a replay has the same id), `ce_source`, `ce_type`, `ce_time` (= occurred_at),
    /// `ce_subject` (= out_request_no) and `content-type: application/json`.
    ///
    /// - Parameter source: `ce_source`, a URI reference naming the producer, e.g.
    ///   `/coupon-worker` or `urn:coupon-worker:<instance>`.
    public static func forResult(_ event: ResultEvent, source: String) -> [(String, String)] {
        [
            ("ce_specversion", specVersion),
            ("ce_id", event.eventId),
            ("ce_source", source),
            ("ce_type", resultType),
            ("ce_time", event.occurredAt),
            ("ce_subject", event.outRequestNo),
            ("content-type", "application/json"),
        ]
    }
}
