import Foundation

extension ResultEvent {
    /// `date` as RFC 3339 in UTC with exactly three fraction digits, the form of
    /// `occurred_at`, `ce_time` and `x-coupon-error-at`: `2026-11-22T10:00:00.123Z`.
    ///
    /// A pure function of `date` (no formatter, locale, calendar or time zone state), rounded
    /// to the nearest millisecond because a `Date` is a binary fraction of a second
    /// (…00.123 is stored as …00.12299999). Dates outside years 0000–9999 are clamped to
    /// that range, which RFC 3339 can express.
    public static func timestamp(_ date: Date) -> String {
        let earliest: Int64 = -62_167_219_200_000  // 0000-01-01T00:00:00.000Z
        let latest: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
        let millis = (date.timeIntervalSince1970 * 1000).rounded(.toNearestOrAwayFromZero)
        let total: Int64 =
            if millis.isNaN { 0 } else if millis <= Double(earliest) { earliest } else if millis >= Double(latest) {
                latest
            } else { Int64(millis) }

        let msPerDay: Int64 = 86_400_000
        let days = total >= 0 ? total / msPerDay : (total - msPerDay + 1) / msPerDay
        let ofDay = total - days * msPerDay
        let (year, month, day) = civilDate(daysSince1970: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(ofDay / 3_600_000, 2)):"
            + "\(pad(ofDay / 60_000 % 60, 2)):\(pad(ofDay / 1000 % 60, 2)).\(pad(ofDay % 1000, 3))Z"
    }

    /// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
    /// (H. Hinnant's `civil_from_days`).
    private static func civilDate(daysSince1970: Int64) -> (Int64, Int64, Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
