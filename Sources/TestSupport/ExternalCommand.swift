import Foundation
import Synchronization

/// A program a test runs to its end (python3, openssl, kcat, a child of the test binary):
/// its exit and everything it wrote.
///
/// No thread of the cooperative pool waits for it: the exit comes from
/// `Process.terminationHandler` (set before the child starts, so a fast child cannot be
/// missed) and the output is read to its end by threads of its own, so a child that writes
/// more than a pipe holds never stalls. `Process.waitUntilExit()` is not used: on Linux it
/// polls a run loop and was seen to park its thread for good after a child had exited; a
/// test suite running many tests on a two-thread pool can then hang as a whole.
public struct ExternalCommand: Sendable {
    /// The executable's path (`/usr/bin/env` to look a program up on `PATH`).
    public var executable: String
    public var arguments: [String]
    /// The child's whole environment; the test process's when `nil`.
    public var environment: [String: String]?
    /// Written to the child's standard input, which is then closed (nothing when `nil`).
    public var input: Data?
    /// Standard error kept apart from standard output (`Outcome.errors`); merged when `false`.
    public var separateErrors: Bool

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input: Data? = nil, separateErrors: Bool = false
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.input = input
        self.separateErrors = separateErrors
    }

    /// How the child ended and what it wrote.
    public struct Outcome: Sendable {
        public var reason: Process.TerminationReason
        /// The exit status, or the signal that ended the child (`reason == .uncaughtSignal`).
        public var status: Int32
        /// Standard output (with standard error unless `separateErrors`).
        public var output: String
        /// Standard error when `separateErrors`; empty otherwise.
        public var errors: String

        /// Whether the child exited with status 0.
        public var succeeded: Bool { reason == .exit && status == 0 }
    }

    /// Starts the child and suspends until it has ended and both streams reached their end.
    public func run() async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = separateErrors ? Pipe() : output
        let standardInput = input.map { _ in Pipe() }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = standardInput ?? FileHandle.nullDevice

        let gathering = OutcomeGathering(streams: separateErrors ? 2 : 1)
        return try await withCheckedThrowingContinuation { continuation in
            gathering.start(continuation)
            process.terminationHandler = { finished in
                gathering.exited(reason: finished.terminationReason, status: finished.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                gathering.failed(error)
                return
            }
            Self.readToEnd(output.fileHandleForReading) { gathering.read($0, errors: false) }
            if separateErrors {
                Self.readToEnd(errors.fileHandleForReading) { gathering.read($0, errors: true) }
            }
            if let standardInput, let input {
                let writing = standardInput.fileHandleForWriting
                Thread {
                    try? writing.write(contentsOf: input)
                    try? writing.close()
                }.start()
            }
        }
    }

    private static func readToEnd(_ handle: FileHandle, then deliver: @escaping @Sendable (Data) -> Void) {
        Thread {
            deliver(handle.readDataToEndOfFile())
        }.start()
    }
}

/// Joins a child's exit with the ends of its output streams, and resumes the waiting test once.
private final class OutcomeGathering: Sendable {
    private struct State {
        var continuation: CheckedContinuation<ExternalCommand.Outcome, any Error>?
        var exit: (reason: Process.TerminationReason, status: Int32)?
        var output = Data()
        var errors = Data()
        var streamsOpen: Int
    }

    private let state: Mutex<State>

    init(streams: Int) {
        state = Mutex(State(streamsOpen: streams))
    }

    func start(_ continuation: CheckedContinuation<ExternalCommand.Outcome, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func exited(reason: Process.TerminationReason, status: Int32) {
        finishIfComplete { $0.exit = (reason, status) }
    }

    func read(_ data: Data, errors: Bool) {
        finishIfComplete { state in
            if errors { state.errors = data } else { state.output = data }
            state.streamsOpen -= 1
        }
    }

    func failed(_ error: any Error) {
        state.withLock { $0.continuation.take() }?.resume(throwing: error)
    }

    private func finishIfComplete(_ change: (inout State) -> Void) {
        let finished = state.withLock { state -> (CheckedContinuation<ExternalCommand.Outcome, any Error>, ExternalCommand.Outcome)? in
            change(&state)
            guard let exit = state.exit, state.streamsOpen == 0, let continuation = state.continuation.take() else {
                return nil
            }
            let outcome = ExternalCommand.Outcome(
                reason: exit.reason, status: exit.status,
                output: String(decoding: state.output, as: UTF8.self), errors: String(decoding: state.errors, as: UTF8.self))
            return (continuation, outcome)
        }
        if let (continuation, outcome) = finished { continuation.resume(returning: outcome) }
    }
}
