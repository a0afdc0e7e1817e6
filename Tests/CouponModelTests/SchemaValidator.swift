import Foundation
import TestSupport
import Testing

/// Runs `schemas/validate.py` (python3 + jsonschema) from the tests, and finds the schema
/// examples. The same script runs in CI, so the tests check exactly what CI checks.
enum SchemaValidator {
    /// The repository root, found from this file's path (Tests/CouponModelTests/…).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schemasDirectory = repositoryRoot.appendingPathComponent("schemas")
    static let script = schemasDirectory.appendingPathComponent("validate.py")

    /// Runs `python3 <args>` with stdout and stderr together.
    static func python(_ arguments: [String]) async throws -> ExternalCommand.Outcome {
        try await ExternalCommand("/usr/bin/env", ["python3"] + arguments).run()
    }

    /// Fails the calling test with a clear message when python3 or jsonschema is missing.
    static func requirePythonWithJSONSchema() async throws {
        let probe: ExternalCommand.Outcome
        do {
            probe = try await python(["-c", "import jsonschema, referencing"])
        } catch {
            Issue.record("python3 could not be started (\(error)); the schema checks need python3 with jsonschema")
            throw error
        }
        try #require(
            probe.succeeded,
            "python3 with the jsonschema package is needed for the schema checks (pip install jsonschema): \(probe.output)")
    }

    /// Runs validate.py with `arguments`.
    static func validate(_ arguments: [String] = []) async throws -> ExternalCommand.Outcome {
        try await requirePythonWithJSONSchema()
        return try await python([script.path] + arguments)
    }

    /// Writes each document to a fresh temporary folder and validates them all against `schema`.
    static func validate(documents: [(name: String, bytes: [UInt8])], against schema: String) async throws -> ExternalCommand.Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coupon-schemas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for document in documents {
            let file = directory.appendingPathComponent(document.name + ".json")
            try Data(document.bytes).write(to: file)
            paths.append(file.path)
        }
        return try await validate(["--schema", schema] + paths)
    }

    /// The example files of `schema` (`coupon-command-issue.v1`) that should be `valid` or `invalid`.
    static func examples(_ schema: String, _ expectation: String) throws -> [URL] {
        let directory = schemasDirectory.appendingPathComponent("examples/\(schema)/\(expectation)")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
