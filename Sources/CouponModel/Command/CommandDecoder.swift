/// Turns the bytes of a command message into a validated `CouponCommand`, or says exactly
/// why not.
///
/// Pure and total: no I/O, no logging, never traps, on any input. The checks run cheapest
/// first so a hostile message costs little: size (before reading anything), UTF-8, strict
/// JSON with a depth limit (`StrictJSONParser`), then the command's shape:
///
/// - the top level is an object with exactly `out_request_no`, `provider`, `operation`,
///   `params` and optionally `merchant`. Unknown top-level fields are rejected (the schema's
///   `additionalProperties: false`): a misspelt `merchnt` must not silently fall back to
///   the default profile;
/// - `out_request_no` is 1–128 of `[A-Za-z0-9|_*-]`; `merchant` 1–64 of `[A-Za-z0-9_-]`;
/// - `provider` is known, `operation` is one of that provider's, and its kind matches the
///   topic the message came from (no issue on the query topic);
/// - `params` is an object obeying `OperationParamRules` for the operation.
///
/// `schemas/coupon-command-issue.v1.schema.json` and `…-query.v1.schema.json` state the same
/// rules for producers; the tests run every schema example through both.
public enum CommandDecoder {
    /// The members a command object may have.
    public static let topLevelFields: Set<String> = ["out_request_no", "provider", "operation", "merchant", "params"]

    /// Decodes and validates one command message.
    ///
    /// - Parameters:
    ///   - bytes: the Kafka message value, as received.
    ///   - topicKind: the kind of topic it was read from; nil accepts either kind (tools,
    ///     replays from the DLQ).
    ///   - limits: size and nesting bounds.
    public static func decode(
        _ bytes: [UInt8], topicKind: CommandKind?, limits: CommandLimits = .default
    ) -> Result<CouponCommand, CommandRejection> {
        var known = KnownFields()
        do {
            return .success(try decode(bytes, topicKind: topicKind, limits: limits, known: &known))
        } catch {
            return .failure(error)
        }
    }

    /// Decodes and validates one command message with the default depth limit and a
    /// configured size limit (the worker's `max_command_bytes`).
    public static func decode(_ bytes: [UInt8], topicKind: CommandKind?, maxBytes: Int) -> Result<CouponCommand, CommandRejection> {
        decode(bytes, topicKind: topicKind, limits: CommandLimits(maxBytes: maxBytes))
    }

    /// What has been read and found valid so far, so a rejection can carry it.
    private struct KnownFields {
        var outRequestNo: String?
        var provider: ProviderName?
        var operation: CouponOperation?
        var merchant: String?

        func reject(_ field: String?, _ reason: String) -> CommandRejection {
            CommandRejection(
                field: field, reason: reason, outRequestNo: outRequestNo, provider: provider, operation: operation,
                merchant: merchant)
        }
    }

    private static func decode(
        _ bytes: [UInt8], topicKind: CommandKind?, limits: CommandLimits, known: inout KnownFields
    ) throws(CommandRejection) -> CouponCommand {
        guard bytes.count <= limits.maxBytes else {
            throw known.reject(nil, "the message is \(bytes.count) bytes; the limit is \(limits.maxBytes)")
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            throw known.reject(nil, "the message is not valid UTF-8 (first bad byte at offset \(offset))")
        }
        let document: JSONValue
        do {
            document = try StrictJSONParser.parse(bytes, maxDepth: limits.maxDepth)
        } catch {
            switch error {
            case .syntax(let what, let offset):
                throw known.reject(nil, "the message is not JSON: \(what) at byte \(offset)")
            case .tooDeep(let limit, let offset):
                throw known.reject(nil, "the message nests arrays/objects deeper than \(limit) levels (at byte \(offset))")
            case .duplicateKey(let key, let offset):
                throw known.reject(nil, "the member name \(QuotedValue(key)) appears twice in one object (at byte \(offset))")
            }
        }
        guard case .object(let members) = document else {
            throw known.reject(nil, "the message must be a JSON object, got \(ParamReader.kind(of: document))")
        }

        // out_request_no first: every later rejection can then be published under it.
        guard let outRequestNoValue = members["out_request_no"] else { throw known.reject("out_request_no", "is required") }
        guard let outRequestNo = outRequestNoValue.stringValue else {
            throw known.reject("out_request_no", "must be a string, got \(ParamReader.kind(of: outRequestNoValue))")
        }
        guard IdentifierSyntax.isOutRequestNo(outRequestNo) else {
            throw known.reject("out_request_no", "must be 1..128 of [A-Za-z0-9|_*-], got \(QuotedValue(outRequestNo))")
        }
        known.outRequestNo = outRequestNo

        if let unknown = members.keys.filter({ !topLevelFields.contains($0) }).sorted().first {
            // The name comes from the sender: only a tame one becomes the field path.
            throw known.reject(
                IdentifierSyntax.isIdentifier(unknown, maxLength: 64) ? unknown : nil,
                "unknown top-level field \(QuotedValue(unknown)); a command has only \(topLevelFields.sorted().joined(separator: ", "))")
        }

        var merchant: String?
        if let merchantValue = members["merchant"] {
            guard let m = merchantValue.stringValue else {
                throw known.reject("merchant", "must be a string, got \(ParamReader.kind(of: merchantValue))")
            }
            guard IdentifierSyntax.isIdentifier(m, maxLength: 64) else {
                throw known.reject("merchant", "must be 1..64 of [A-Za-z0-9_-], got \(QuotedValue(m))")
            }
            merchant = m
            known.merchant = m
        }

        let provider = try readProvider(members, known: known)
        known.provider = provider
        let operation = try readOperation(members, provider: provider, known: known)
        known.operation = operation

        if let topicKind, operation.kind != topicKind {
            throw known.reject(
                "operation",
                "\(QuotedValue(operation.rawValue)) is \(article(operation.kind)) operation but the message came from the \(topicKind.rawValue) topic")
        }

        guard let paramsValue = members["params"] else { throw known.reject("params", "is required") }
        guard let params = paramsValue.objectValue else {
            throw known.reject("params", "must be an object, got \(ParamReader.kind(of: paramsValue))")
        }
        do {
            try OperationParamRules.check(params, for: operation)
        } catch {
            throw known.reject(error.field, error.reason)
        }
        return CouponCommand(outRequestNo: outRequestNo, operation: operation, merchant: merchant, params: params)
    }

    private static func readProvider(_ members: [String: JSONValue], known: KnownFields) throws(CommandRejection) -> ProviderName {
        guard let value = members["provider"] else { throw known.reject("provider", "is required") }
        guard let name = value.stringValue else {
            throw known.reject("provider", "must be a string, got \(ParamReader.kind(of: value))")
        }
        guard let provider = ProviderName(rawValue: name) else {
            let names = ProviderName.allCases.map(\.rawValue).joined(separator: ", ")
            throw known.reject("provider", "unknown provider \(QuotedValue(name)) (known: \(names))")
        }
        return provider
    }

    private static func readOperation(
        _ members: [String: JSONValue], provider: ProviderName, known: KnownFields
    ) throws(CommandRejection) -> CouponOperation {
        guard let value = members["operation"] else { throw known.reject("operation", "is required") }
        guard let name = value.stringValue else {
            throw known.reject("operation", "must be a string, got \(ParamReader.kind(of: value))")
        }
        if let operation = CouponOperation(provider: provider, name: name) { return operation }
        let served = CouponOperation.allCases.filter { $0.provider == provider }.map(\.rawValue).joined(separator: ", ")
        if let other = CouponOperation(rawValue: name) {
            throw known.reject(
                "operation",
                "\(QuotedValue(name)) is a \(other.provider.rawValue) operation, not a \(provider.rawValue) one (\(provider.rawValue): \(served))")
        }
        throw known.reject("operation", "unknown operation \(QuotedValue(name)) (\(provider.rawValue): \(served))")
    }

    private static func article(_ kind: CommandKind) -> String {
        switch kind {
        case .issue: "an issue"
        case .query: "a query"
        }
    }

    /// The offset of the first byte that does not begin a valid UTF-8 scalar (overlong
    /// forms and encoded surrogates included), or nil when all of `bytes` is valid.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
