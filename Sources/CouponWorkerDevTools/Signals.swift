import UnixSignals

/// Waits for SIGINT or SIGTERM, for commands that run until told to stop.
enum Signals {
    static func waitForTermination() async {
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
    }
}
