import Foundation

/// Times are stored as integer milliseconds since 1970 in both backends: exact comparisons in
/// SQL (`lease_until_ms < now`), one representation for SQLite and PostgreSQL, and a record
/// read back equals the one written when its dates were whole milliseconds.
extension Date {
    /// This date as whole milliseconds since 1970, rounded to the nearest.
    var epochMilliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    /// The date `milliseconds` after 1970.
    init(epochMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
