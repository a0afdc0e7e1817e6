import CouponModel
import Logging
import Tracing

/// Finds out whether an earlier attempt of an issue took effect at the provider, before
/// anything is sent again: after an ambiguous failure (timeout, reset), on taking over a
/// lease whose holder may have reached the provider, and once after a server error.
///
/// "Not found" is not believed at once: a request the worker stopped waiting for may still be
/// on its way. It is asked again after `settle` (waited on `clock`), and only a second "not
/// found" lets the caller send again. Where the provider cannot be asked (zvcms, or every try
/// failed) the answer is `.unknowable` and nothing is sent again.
struct Reconciler: Sendable {
    /// Retries of a reconciliation call that failed transiently.
    let retry: RetryPolicy
    /// How long a request that was not found is given to land before it is asked again.
    let settle: Duration
    /// The clock the settle is waited on (a test moves it by hand).
    let clock: any Clock<Duration>
    let logger: Logger

    /// Asks the provider whether an earlier attempt took effect, under `holder`'s heartbeat.
    func findEarlierEffect(_ context: CommandContext, holder: LeaseHolder) async throws -> Reconciliation {
        try await reconciliation(holder: holder) {
            let answer = try await self.reconcile(context, retry: self.retry)
            guard case .notFound = answer else { return answer }
            try await withSpan(CommandSpans.settle) { _ in try await self.clock.sleep(for: self.settle) }
            return try await self.reconcile(context, retry: self.retry)
        }
    }

    /// Looks once, without a settle and without retries, whether an issue the provider
    /// answered with a server error took effect before it failed. `.unknowable` when the
    /// look itself failed (the provider's docs then call the re-send safe).
    func lookAfterServerError(_ context: CommandContext, holder: LeaseHolder) async throws -> Reconciliation {
        try await reconciliation(holder: holder) { try await self.reconcile(context, retry: nil) }
    }

    /// One reconciliation's span, with `holder`'s heartbeat running while `body` asks.
    private func reconciliation(
        holder: LeaseHolder, _ body: @escaping @Sendable () async throws -> Reconciliation
    ) async throws -> Reconciliation {
        try await withSpan(CommandSpans.reconcile) { span in
            let answer = try await holder.withHeartbeat(body)
            span.updateAttributesIfRecording { $0["coupon.reconciliation"] = answer.traceName }
            return answer
        }
    }

    /// One question to the provider, retrying transient failures by `retry` (nil: not at all);
    /// `.unknowable` when it cannot be found out.
    private func reconcile(_ context: CommandContext, retry: RetryPolicy?) async throws -> Reconciliation {
        try await withSpan(CommandSpans.reconcileAsk) { span in
            CommandSpans.annotate(span, command: context.command, merchant: context.route.merchant)
            let answer = try await ask(context, retry: retry)
            span.updateAttributesIfRecording { $0["coupon.reconciliation"] = answer.traceName }
            return answer
        }
    }

    private func ask(_ context: CommandContext, retry: RetryPolicy?) async throws -> Reconciliation {
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            try await withSpan(CommandSpans.rateLimit) { _ in try await context.route.limiter.acquire() }
            do {
                return try await context.route.client.reconcile(context.command)
            } catch {
                guard error.retryable, let delay = retry?.delay(afterAttempt: attempt, since: started) else {
                    logger.error("reconciliation failed", metadata: [
                        "out_request_no": "\(context.key.outRequestNo)", "error": "\(error.message)",
                    ])
                    return .unknowable
                }
                try await withSpan(CommandSpans.retryBackoff) { _ in try await Task.sleep(for: delay) }
            }
        }
    }
}

extension Reconciliation {
    /// What a reconciliation found, for its span (never the found data).
    var traceName: String {
        switch self {
        case .found: "found"
        case .notFound: "not_found"
        case .unknowable: "unknowable"
        }
    }
}
