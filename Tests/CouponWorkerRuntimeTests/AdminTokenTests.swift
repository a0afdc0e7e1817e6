import Foundation
import Testing

@testable import CouponWorkerRuntime

@Suite("The admin token of /requests")
struct AdminTokenTests {
    static let secret = "s3cr3t-0123456789abcdef-token"

    static func token(_ contents: String = secret + "\n") throws -> AdminToken {
        try AdminToken(fileContents: Array(contents.utf8), path: "/run/secrets/admin-token")
    }

    @Test("only `Bearer <token>` is accepted; the scheme in any case, the file's trailing newline ignored")
    func acceptsOnlyTheBearerToken() throws {
        let token = try Self.token()
        #expect(token.accepts(authorization: "Bearer \(Self.secret)"))
        #expect(token.accepts(authorization: "bearer \(Self.secret)"))
        #expect(!token.accepts(authorization: nil))
        #expect(!token.accepts(authorization: ""))
        #expect(!token.accepts(authorization: "Bearer "))
        #expect(!token.accepts(authorization: Self.secret))
        #expect(!token.accepts(authorization: "Basic \(Self.secret)"))
        #expect(!token.accepts(authorization: "Bearer \(Self.secret.dropLast())"))
        #expect(!token.accepts(authorization: "Bearer \(Self.secret)x"))
        #expect(!token.accepts(authorization: "Bearer wrong"))
    }

    @Test("description, debugDescription, interpolation and dump never show the token")
    func redactsItself() throws {
        let token = try Self.token()
        var dumped = ""
        dump(token, to: &dumped)
        for text in [token.description, token.debugDescription, "\(token)", String(reflecting: token), dumped] {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(text.contains("redacted") || text.contains("AdminToken"), "\(text)")
        }
    }

    @Test("an empty or whitespace-only file is refused, naming the file and not its content")
    func emptyFileIsRefused() {
        #expect(throws: AdminTokenError.empty(path: "/run/secrets/admin-token")) { try Self.token("") }
        #expect(throws: AdminTokenError.empty(path: "/run/secrets/admin-token")) { try Self.token(" \n\t\r\n") }
        #expect(AdminTokenError.empty(path: "/x").description.contains("http.admin_token_file"))
    }

    @Test("a file that cannot be read is refused, naming the file")
    func unreadableFileIsRefused() {
        let path = "/nonexistent-\(UUID().uuidString)/admin-token"
        #expect(throws: AdminTokenError.unreadable(path: path)) { try AdminToken.load(file: path) }
        #expect(AdminTokenError.unreadable(path: path).description.contains(path))
    }
}
