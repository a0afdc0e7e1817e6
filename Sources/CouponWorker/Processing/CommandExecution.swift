import CouponModel
import IdempotencyStore
import Logging
import Tracing

/// Executes one claimed command under its lease and stores the outcome: provider calls with
/// rate limit and retries, an ambiguous issue reconciled before anything is sent again, and
/// the final outcome stored (fenced by the lease's token) before it is returned.
///
/// - Before every call the lease is renewed and the attempt counted (one statement); a call
///   starts only while the lease surely covers the provider's worst case.
/// - From the attempt's count on (the count marks the key in doubt), the request is sent, its
///   answer awaited and its outcome stored even when the command's task is cancelled
///   (`runShielded`); only a further attempt is skipped then.
/// - An outcome the store refused (a newer token holds the key) is never returned: the stored
///   one is, or nil to claim again.
struct CommandExecution: Sendable {
    let retry: RetryPolicy
    let reconciler: Reconciler
    let store: any IdempotencyStore
    let storeCalls: StoreCalls
    let metrics: WorkerMetrics
    let logger: Logger

    /// What the provider calls came to.
    struct Decision: Sendable {
        var status: ResultStatus
        var data: JSONValue?
        var error: ResultError?
        var attempts: Int
        var calls: Int

        static func succeeded(_ data: JSONValue, attempts: Int, calls: Int) -> Decision {
            Decision(status: .succeeded, data: data, error: nil, attempts: attempts, calls: calls)
        }

        static func failed(_ error: ResultError, attempts: Int, calls: Int) -> Decision {
            Decision(status: .failed, data: nil, error: error, attempts: attempts, calls: calls)
        }

        /// The provider may have issued and cannot tell: `unknown`, for a person to look at.
        static func unknown(_ message: String, calls: Int, attempts: Int = 1, providerCode: String? = nil) -> Decision {
            Decision(
                status: .unknown, data: nil,
                error: ResultError(code: .outcomeUnknown, message: message, providerCode: providerCode, retryable: false),
                attempts: attempts, calls: calls)
        }
    }

    /// What one attempt came to.
    private enum Step: Sendable {
        case done(Decision)
        case retry(ProviderFailure)
    }

    /// What one shielded attempt came to: its decision stored, or a retry.
    private enum SettledStep: Sendable {
        case settled(Settled)
        case retry(ProviderFailure)
    }

    /// Executes under `holder`'s lease and stores the outcome. `askFirst`: an earlier holder's
    /// attempt may have taken effect, so the provider is asked before anything is sent. Nil
    /// when the lease was lost to another holder: claim again (wait for it, then replay what
    /// it stored).
    func executeAndStore(_ context: CommandContext, holder: LeaseHolder, askFirst: Bool) async throws -> CommandOutcome? {
        let settled: Settled
        do {
            settled = try await execute(context, holder: holder, askFirst: askFirst)
        } catch is LeaseHolder.Lost {
            logger.notice("lease lost to a newer holder; claiming again", metadata: [
                "out_request_no": "\(context.key.outRequestNo)", "lease": "\(holder.lease)",
            ])
            return nil
        }
        guard settled.stored else {
            // A newer token holds the key: its outcome is the one of record, never ours.
            logger.warning("lease lost before the outcome was stored; the stored outcome decides", metadata: [
                "out_request_no": "\(context.key.outRequestNo)", "status": "\(settled.event.status.rawValue)",
            ])
            let record = try await storeCalls.run("record") { try await self.store.record(for: context.key) }
            guard let record, record.state == .final else { return nil }
            var replayed = ResultEventFactory.replay(record, context: context)
            replayed.providerCalls = settled.calls
            return replayed
        }
        return ResultEventFactory.outcome(of: settled.event, encoded: settled.encoded, providerCalls: settled.calls)
    }

    /// A decision's result event and whether the store took it as the outcome of record.
    private struct Settled: Sendable {
        var event: ResultEvent
        var encoded: [UInt8]
        var stored: Bool
        var calls: Int
    }

    /// Turns `result` into its result event and stores it, fenced by the lease's token. Runs
    /// shielded: in the shielded task of the attempt that decided, or in one of its own.
    private func settle(
        _ result: Decision, _ context: CommandContext, holder: LeaseHolder, flag: CancellationFlag
    ) async throws -> Settled {
        let event = ResultEventFactory.event(
            context, status: result.status, data: result.data, error: result.error, attempts: result.attempts)
        let outcome = StoredOutcome(
            status: event.status, resultEvent: event.encoded(),
            reopenable: event.status == .failed && event.error?.retryable == true)
        let stored = try await withSpan(CommandSpans.storeOutcome) { span in
            span.updateAttributesIfRecording { $0["coupon.status"] = event.status.rawValue }
            let stored = try await holder.complete(outcome, flag: flag)
            span.updateAttributesIfRecording { $0["coupon.stored"] = stored }
            return stored
        }
        return Settled(event: event, encoded: outcome.resultEvent, stored: stored, calls: result.calls)
    }

    /// Settles a decision reached outside an attempt (an earlier holder's effect, retries used up).
    private func settleShielded(_ result: Decision, _ context: CommandContext, holder: LeaseHolder) async throws -> Settled {
        try await runShielded { flag in try await self.settle(result, context, holder: holder, flag: flag) }
    }

    private func execute(_ context: CommandContext, holder: LeaseHolder, askFirst: Bool) async throws -> Settled {
        let command = context.command
        if askFirst {
            // An earlier holder's attempt may have issued before it died or gave up.
            switch try await reconciler.findEarlierEffect(context, holder: holder) {
            case .found(let data):
                return try await settleShielded(.succeeded(data, attempts: 1, calls: 0), context, holder: holder)
            case .unknowable:
                return try await settleShielded(
                    .unknown("an earlier attempt may have issued the coupon and \(command.provider.rawValue) cannot be asked", calls: 0),
                    context, holder: holder)
            case .notFound:
                try await holder.recordNoEffect(flag: nil)
            }
        }
        let started = ContinuousClock.now
        var attempt = 0
        var calls = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            try await withSpan(CommandSpans.rateLimit) { _ in try await context.route.limiter.acquire() }
            calls += 1
            // From the attempt's count on, the request may reach the provider: its answer is
            // awaited and decided whatever happens to this task, and a decision is stored in the
            // same shielded task; only a further attempt is skipped when cancelled. The count is
            // shielded too: abandoned half-way, it could still mark the key in doubt with nothing
            // sent, and the next holder could only end it `unknown` (zvcms cannot be asked).
            let step = try await runShielded { [attempt, calls] flag -> SettledStep in
                if flag.isRaised { throw CancellationError() }  // nothing counted, nothing sent
                _ = try await holder.recordAttempt(covering: context.route.client.worstCaseAttempt, flag: flag)
                switch try await self.attempt(context, holder: holder, attempt: attempt, calls: calls, flag: flag) {
                case .done(let result): return .settled(try await self.settle(result, context, holder: holder, flag: flag))
                case .retry(let failure): return .retry(failure)
                }
            }
            switch step {
            case .settled(let settled):
                return settled
            case .retry(let failure):
                guard let delay = retry.delay(afterAttempt: attempt, since: started) else {
                    return try await settleShielded(.failed(failure.resultError, attempts: attempt, calls: calls), context, holder: holder)
                }
                metrics.retry(command: command, code: failure.code)
                try await withSpan(CommandSpans.retryBackoff) { _ in try await Task.sleep(for: delay) }
            }
        }
    }

    /// One provider call and what its answer means, run shielded: it is never cut short.
    private func attempt(
        _ context: CommandContext, holder: LeaseHolder, attempt: Int, calls: Int, flag: CancellationFlag
    ) async throws -> Step {
        let command = context.command
        let isIssue = command.operation.kind == .issue
        let callStarted = ContinuousClock.now
        let answer: Swift.Result<JSONValue, ProviderFailure> = try await holder.withHeartbeat {
            await withSpan(CommandSpans.attempt) { span in
                CommandSpans.annotate(span, command: command, merchant: context.route.merchant)
                span.updateAttributesIfRecording { $0["coupon.attempt"] = attempt }
                do throws(ProviderFailure) {
                    return .success(try await context.route.client.execute(command))
                } catch {
                    CommandSpans.annotate(span, failure: error)
                    return .failure(error)
                }
            }
        }
        let failure: ProviderFailure
        switch answer {
        case .success(let data):
            metrics.providerCall(command: command, outcome: "ok", duration: callStarted.duration(to: .now))
            return .done(.succeeded(data, attempts: attempt, calls: calls))
        case .failure(let error):
            failure = error
            metrics.providerCall(command: command, outcome: failure.code.rawValue, duration: callStarted.duration(to: .now))
        }
        if failure.code == .invalidCommand {
            // Refused by the provider module before anything was sent: the command is invalid.
            try await holder.recordNoEffect(flag: flag)
            return .done(Decision(
                status: .rejected, data: nil, error: ResultError(code: .invalidCommand, message: failure.message, retryable: false),
                attempts: 0, calls: calls - 1))
        }
        if isIssue {
            if failure.ambiguous {
                // It may have been processed. Cancelled: leave it in doubt under the claim; the
                // next holder asks the provider before anything is sent again.
                if flag.isRaised { throw CancellationError() }
                switch try await reconciler.findEarlierEffect(context, holder: holder) {
                case .found(let data):
                    return .done(.succeeded(data, attempts: attempt, calls: calls))
                case .unknowable:
                    return .done(.unknown(
                        "\(failure.message); the request may have been processed", calls: calls, attempts: attempt,
                        providerCode: failure.providerCode))
                case .notFound where !failure.retryable:
                    // The answer said it *was* processed (a 2xx that failed verification or could
                    // not be read), and the list does not show it: failing it would invite a
                    // re-issue under a new out_request_no. Nothing is sent again.
                    return .done(.unknown(
                        "\(failure.message); the provider answered, but the coupon was not found", calls: calls,
                        attempts: attempt, providerCode: failure.providerCode))
                case .notFound:
                    break  // not processed after all: the failure decides as usual
                }
            } else if failure.serverFailed, failure.retryable, !flag.isRaised {
                // A server error: re-sending is documented as safe, but look first, so a coupon
                // issued before the server failed is found rather than sent a second time.
                if case .found(let data) = try await reconciler.lookAfterServerError(context, holder: holder) {
                    return .done(.succeeded(data, attempts: attempt, calls: calls))
                }
            }
            try await holder.recordNoEffect(flag: flag)
        }
        guard failure.retryable else {
            return .done(.failed(failure.resultError, attempts: attempt, calls: calls))
        }
        // Nothing is in doubt now: a cancelled command stops before it sends again.
        if flag.isRaised { throw CancellationError() }
        return .retry(failure)
    }
}
