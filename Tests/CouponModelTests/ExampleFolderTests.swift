import CouponModel
import Foundation
import Testing

/// Walks `schemas/examples/coupon-command-<kind>.v1/{valid,invalid}/*.json` and runs every
/// file through `CommandDecoder` as a message from the `<kind>` topic: a valid example must be
/// accepted, an invalid one refused for the reason its name gives.
///
/// Naming (schemas/README.md): an invalid example is `<field>--<what>.json`, where `<field>`
/// is the path the decoder reports (`params.openid`, `out_request_no`) or `message` for a
/// fault of the message as a whole (the rejection then names no field). A rejection inside
/// the named field also matches (`params.trade_marks` covers `params.trade_marks[0].num`).
/// A new example is checked by adding its file.
@Suite("Command examples, folder by folder")
struct ExampleFolderTests {
    /// One example file and what its folder and name say about it.
    struct Example: CustomTestStringConvertible, Sendable {
        var file: URL
        var kind: CommandKind
        var valid: Bool

        var testDescription: String {
            "\(file.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent)/"
                + "\(valid ? "valid" : "invalid")/\(file.lastPathComponent)"
        }
    }

    static let examplesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/examples")

    /// The separator between the field and the description in an invalid example's name.
    static let separator = "--"
    /// The `<field>` of a message-level fault.
    static let messageField = "message"

    /// The command kind a folder is for: `coupon-command-issue.v1` → `.issue`; nil for the
    /// folders of other messages (results, dead-letter headers).
    static func kind(ofFolder name: String) -> CommandKind? {
        guard name.hasPrefix("coupon-command-"), let dot = name.lastIndex(of: ".") else { return nil }
        let word = name[name.index(name.startIndex, offsetBy: "coupon-command-".count)..<dot]
        return CommandKind(rawValue: String(word))
    }

    /// Every command example on disk, in a stable order.
    static func allExamples() throws -> [Example] {
        let manager = FileManager.default
        var examples: [Example] = []
        for folder in try manager.contentsOfDirectory(atPath: examplesDirectory.path).sorted() {
            guard folder.hasPrefix("coupon-command-") else { continue }
            // A command folder whose kind is not a topic kind would be silently skipped: fail instead.
            guard let kind = kind(ofFolder: folder) else { throw UnknownFolder(folder: folder) }
            for expectation in ["valid", "invalid"] {
                let directory = examplesDirectory.appendingPathComponent(folder).appendingPathComponent(expectation)
                let names = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
                for name in names.sorted() where name.hasSuffix(".json") {
                    examples.append(
                        Example(file: directory.appendingPathComponent(name), kind: kind, valid: expectation == "valid"))
                }
            }
        }
        return examples
    }

    /// The field an invalid example's name says it is refused for: nil for `message`.
    /// Throws when the name does not follow `<field>--<what>.json`.
    static func expectedField(fileName: String) throws -> String? {
        let stem = fileName.hasSuffix(".json") ? String(fileName.dropLast(".json".count)) : fileName
        guard let range = stem.range(of: separator) else {
            throw NamingError(fileName: fileName)
        }
        let field = String(stem[..<range.lowerBound])
        let what = stem[range.upperBound...]
        guard !field.isEmpty, !what.isEmpty,
            field.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.".contains($0)) })
        else { throw NamingError(fileName: fileName) }
        return field == messageField ? nil : field
    }

    struct UnknownFolder: Error, CustomStringConvertible {
        var folder: String
        var description: String { "examples/\(folder): the folder names no command kind (coupon-command-<issue|query>.v1)" }
    }

    struct NamingError: Error, CustomStringConvertible {
        var fileName: String
        var description: String {
            "\(fileName): an invalid example is named <field>\(separator)<what>.json (see schemas/README.md)"
        }
    }

    /// Whether a rejection naming `actual` is one for `expected` (the field itself or inside it).
    static func matches(_ actual: String?, expected: String?) -> Bool {
        guard let expected else { return actual == nil }
        guard let actual else { return false }
        return actual == expected || actual.hasPrefix(expected + "[") || actual.hasPrefix(expected + ".")
    }

    @Test("both command folders hold valid and invalid examples")
    func foldersAreThere() throws {
        let examples = try Self.allExamples()
        for kind in [CommandKind.issue, .query] {
            #expect(examples.contains { $0.kind == kind && $0.valid }, "no valid \(kind.rawValue) example")
            #expect(examples.contains { $0.kind == kind && !$0.valid }, "no invalid \(kind.rawValue) example")
        }
    }

    @Test("every example is accepted, or refused for the field its name gives", arguments: try allExamples())
    func example(_ example: Example) throws {
        let bytes = Array(try Data(contentsOf: example.file))
        let result = CommandDecoder.decode(bytes, topicKind: example.kind)
        let name = example.file.lastPathComponent
        if example.valid {
            if case .failure(let rejection) = result { Issue.record("\(name) is refused: \(rejection)") }
            return
        }
        let expected = try Self.expectedField(fileName: name)
        switch result {
        case .success:
            Issue.record("\(name) is accepted; it should be refused for \(expected ?? "the message as a whole")")
        case .failure(let rejection):
            #expect(rejection.code == .invalidCommand)
            #expect(
                Self.matches(rejection.field, expected: expected),
                "\(name) is refused for \(rejection.field ?? "the message as a whole"), not \(expected ?? "the message as a whole"): \(rejection)")
        }
    }

    @Test("the naming convention is read as documented")
    func naming() throws {
        #expect(try Self.expectedField(fileName: "params.openid--openid-crlf.json") == "params.openid")
        #expect(try Self.expectedField(fileName: "out_request_no--too-long.json") == "out_request_no")
        #expect(try Self.expectedField(fileName: "message--not-an-object.json") == nil)
        #expect(throws: NamingError.self) { try Self.expectedField(fileName: "openid-crlf.json") }
        #expect(throws: NamingError.self) { try Self.expectedField(fileName: "params.openid--.json") }
        #expect(Self.matches("params.trade_marks[0].num", expected: "params.trade_marks"))
        #expect(!Self.matches("params.trade_marks_x", expected: "params.trade_marks"))
        #expect(!Self.matches(nil, expected: "params"))
        #expect(Self.matches(nil, expected: nil))
        #expect(Self.kind(ofFolder: "coupon-command-issue.v1") == .issue)
        #expect(Self.kind(ofFolder: "coupon-command-query.v1") == .query)
        #expect(Self.kind(ofFolder: "coupon-result.v1") == nil)
    }
}
