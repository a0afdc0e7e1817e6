import Synchronization

/// Decides which fault, if any, the next request to a sandbox suffers.
///
/// Tests queue exact faults (`inject`), so a test names the failure it provokes; the
/// reliability suite sets a random `mix`. Queued faults come first, in order.
/// Also holds an added latency, used by the benchmark to model a slow provider.
public final class SandboxFaultInjector: Sendable {
    private struct State {
        var queued: [(fault: SandboxFault, pathContains: String?)] = []
        var mix: [(fault: SandboxFault, probability: Double)] = []
        var latency: Duration = .zero
        var generator = SystemRandomNumberGenerator()
    }

    private let state = Mutex(State())

    /// Holds processed answers until a test lets them go.
    public let gate = AnswerGate()

    public init() {}

    /// The next `times` requests whose path contains `pathContains` (any path when nil) suffer `fault`.
    public func inject(_ fault: SandboxFault, times: Int = 1, pathContains: String? = nil) {
        state.withLock { s in
            for _ in 0..<max(0, times) { s.queued.append((fault, pathContains)) }
        }
    }

    /// Every request suffers each fault with its probability (checked in order; at most one).
    public func setMix(_ mix: [(fault: SandboxFault, probability: Double)]) {
        state.withLock { $0.mix = mix }
    }

    /// Delay added before every answer (a slow provider).
    public var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = newValue } }
    }

    /// Forgets queued faults and the mix.
    public func clear() {
        state.withLock { s in
            s.queued.removeAll()
            s.mix.removeAll()
        }
    }

    /// The fault the request to `path` suffers, consuming a queued one.
    public func nextFault(path: String) -> SandboxFault? {
        state.withLock { s in
            if let index = s.queued.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
                return s.queued.remove(at: index).fault
            }
            for entry in s.mix where Double.random(in: 0..<1, using: &s.generator) < entry.probability {
                return entry.fault
            }
            return nil
        }
    }
}
