import IdempotencyStore
import Logging
import Metrics
import ServiceLifecycle

/// Deletes final idempotency records older than the retention, in the background.
///
/// The architecture keeps final records for a retention (default 30 days): long enough for
/// any redelivery or resend of a command to find its outcome, short enough that the table
/// does not grow forever. Records in progress are never purged (the store refuses to), so a
/// claim that is still held, however old, keeps protecting its key.
public struct RecordPurger: Service {
    private let store: any IdempotencyStore
    /// Final records last updated longer ago than this (by the store's clock) are deleted.
    public let retention: Duration
    /// How often to purge.
    public let interval: Duration
    private let logger: Logger
    private let purged = Counter(label: "coupon_worker_records_purged_total")

    public init(store: any IdempotencyStore, retention: Duration, interval: Duration, logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.logger = logger
    }

    /// Purges now and then every `interval`, until cancelled or shut down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.purgeOnce()
                do { try await Task.sleep(for: self.interval) } catch { return }
            }
        }
    }

    /// One purge; returns how many records it deleted (nil when the store failed: the next
    /// round tries again).
    @discardableResult
    public func purgeOnce() async -> Int? {
        do {
            let count = try await store.purge(retaining: retention)
            purged.increment(by: count)
            if count > 0 { logger.info("purged final idempotency records past the retention", metadata: ["count": "\(count)"]) }
            return count
        } catch {
            logger.warning("purging idempotency records failed; trying again later", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
