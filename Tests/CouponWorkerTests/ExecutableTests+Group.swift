import Foundation
import Kafka
import TestSupport
import Testing

/// `coupon-worker run` as a member of its consumer group, through the built binary.
extension ExecutableTests {
    @Test("a worker fenced by its group (another live instance has its instance id) logs it and exits 70, not 0")
    func fencedWorkerExitsNonZero() async throws {
        let output = try await RunningWorker.withRunning(
            adminToken: nil, environment: ["COUPON_KAFKA_INSTANCE_ID": "worker-0"], expectedExit: 70
        ) { worker in
            // A member of the group (it processed a command): its next heartbeat is answered
            // the way a broker answers a second live instance with the same id.
            _ = try await worker.processWeChatIssue()
            try worker.harness.kafka.cluster.pushRequestError(
                .heartbeat, brokerID: WorkerHarness.workersCoordinator, error: .fencedInstanceID)
            let line = await worker.child.waitForErrorLine(containing: "consumer stopped by a fatal error")
            #expect(line?.contains("FENCED_INSTANCE_ID") == true)
        }
        #expect(output.contains("exiting with status 70"))
    }
}
