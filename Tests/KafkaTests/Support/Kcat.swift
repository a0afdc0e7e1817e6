import Foundation
import TestSupport

/// Runs the `kcat` command-line Kafka client, to prove interoperability with a client that
/// is not ours.
enum Kcat {
    struct Failure: Error, CustomStringConvertible {
        var status: Int32
        var standardError: String
        var description: String { "kcat exited with \(status): \(standardError)" }
    }

    /// Runs kcat with `arguments`, writing `input` to its standard input; returns stdout.
    static func run(_ arguments: [String], input: String = "") async throws -> String {
        let run = try await ExternalCommand("/usr/bin/kcat", arguments, input: Data(input.utf8), separateErrors: true).run()
        guard run.succeeded else { throw Failure(status: run.status, standardError: run.errors) }
        return run.output
    }
}
