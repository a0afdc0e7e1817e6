/// One step of the schema's history: the statements that take it from `version - 1` to
/// `version`. Applied in a transaction together with the row that records `version` in
/// `idempotency_schema_version`, so a schema is never half-upgraded.
struct SchemaMigration: Sendable {
    var version: Int
    var statements: [String]
}
