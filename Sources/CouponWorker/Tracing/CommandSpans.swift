import CouponModel
import Kafka
import Tracing

/// The spans of one command's life, with the swift-distributed-tracing API (a no-op until a
/// tracer is bootstrapped, which `CouponWorkerRuntime` does when export is configured).
///
///     <topic> process (consumer; continues the record's traceparent, or starts a trace)
///     ├─ coupon.wait_slot          until the in-flight limit and flow control admitted it
///     ├─ coupon.wait_key_turn      until the commands before it with the same key ended
///     ├─ coupon.claim              one claim of the idempotency key (again after coupon.wait_key_busy)
///     ├─ coupon.rate_limit         the provider + merchant limiter
///     ├─ coupon.attempt            one provider call; below it the HTTP client spans of the
///     │                            provider module ("POST /v3/…/{param}": method, url.template,
///     │                            server.address, status), one per host tried
///     ├─ coupon.retry_backoff      the pause before the next attempt
///     ├─ coupon.reconcile          was an ambiguous issue processed? (coupon.reconcile.ask with
///     │                            its HTTP spans, coupon.settle)
///     ├─ coupon.store_outcome      the final outcome stored under the lease
///     ├─ <dead-letter topic> publish (producer)
///     └─ <results topic> publish     (producer)
///
/// Spans only wrap and annotate: they never throw, never wait and never change what the
/// pipeline does. Attributes name the command, never a secret, signature, token, openid or
/// coupon code, and are built only for a span that records
/// (``Tracing/Span/updateAttributesIfRecording(_:)``).
enum CommandSpans {
    static let waitForSlot = "coupon.wait_slot"
    static let waitForKeyTurn = "coupon.wait_key_turn"
    static let claim = "coupon.claim"
    static let waitForKeyBusy = "coupon.wait_key_busy"
    static let rateLimit = "coupon.rate_limit"
    static let attempt = "coupon.attempt"
    static let retryBackoff = "coupon.retry_backoff"
    static let reconcile = "coupon.reconcile"
    static let reconcileAsk = "coupon.reconcile.ask"
    static let settle = "coupon.settle"
    static let storeOutcome = "coupon.store_outcome"

    /// The consumer span's name, as the messaging conventions spell it.
    static func command(topic: String) -> String { "\(topic) process" }

    /// A producer span's name.
    static func publish(topic: String) -> String { "\(topic) publish" }

    /// Where the command came from (messaging semantic conventions).
    static func annotate(_ span: any Span, record message: KafkaConsumerMessage) {
        span.updateAttributesIfRecording { attributes in
            attributes["messaging.system"] = "kafka"
            attributes["messaging.operation.type"] = "process"
            attributes["messaging.destination.name"] = message.topic
            attributes["messaging.destination.partition.id"] = String(message.partition)
            attributes["messaging.kafka.offset"] = Int(message.offset)
            if let key = message.key {
                attributes["messaging.kafka.message.key"] = String(decoding: key, as: UTF8.self)
            }
        }
    }

    /// What the command came to: the result's identity and ending.
    static func annotate(_ span: any Span, outcome: CommandOutcome) {
        span.updateAttributesIfRecording { attributes in
            attributes["coupon.provider_calls"] = outcome.providerCalls
            if let cause = outcome.deadLetter { attributes["coupon.dead_letter"] = cause.code.rawValue }
            guard let result = outcome.result else { return }
            attributes["coupon.out_request_no"] = result.outRequestNo
            attributes["coupon.provider"] = result.provider
            attributes["coupon.operation"] = result.operation
            attributes["coupon.merchant"] = result.merchant
            attributes["coupon.status"] = result.status.rawValue
            attributes["coupon.attempts"] = result.attempts
            attributes["coupon.replayed"] = result.replayed
            if let error = result.error {
                attributes["coupon.error_code"] = error.code.rawValue
                attributes["coupon.provider_code"] = error.providerCode
            }
        }
    }

    /// The command whose provider call a span measures.
    static func annotate(_ span: any Span, command: CouponCommand, merchant: String) {
        span.updateAttributesIfRecording { attributes in
            attributes["coupon.out_request_no"] = command.outRequestNo
            attributes["coupon.provider"] = command.provider.rawValue
            attributes["coupon.operation"] = command.operation.rawValue
            attributes["coupon.merchant"] = merchant
        }
    }

    /// How a provider call failed (error.type as the conventions name it, the provider's own
    /// code and the HTTP status when there was one).
    static func annotate(_ span: any Span, failure: ProviderFailure) {
        span.setStatus(SpanStatus(code: .error, message: failure.code.rawValue))
        span.updateAttributesIfRecording { attributes in
            attributes["error.type"] = failure.code.rawValue
            attributes["coupon.provider_code"] = failure.providerCode
            attributes["http.response.status_code"] = failure.httpStatus
            attributes["coupon.retryable"] = failure.retryable
            attributes["coupon.ambiguous"] = failure.ambiguous
        }
    }
}

extension Span {
    /// Updates the attributes of a span that records, and does nothing for one that does not:
    /// with export off every span is the no-op span, and building attributes for it (a
    /// dictionary per assignment) was several percent of a command's CPU.
    func updateAttributesIfRecording(_ update: (inout SpanAttributes) -> Void) {
        guard isRecording else { return }
        updateAttributes(update)
    }
}
