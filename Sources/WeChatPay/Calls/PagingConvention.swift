/// What `offset` means on `users/{openid}/coupons`.
///
/// The API calls it "分页页码" (page number) but no public source pins down whether the
/// server counts pages or items (*unconfirmed* in docs/wechatpay-v3.md), so both are
/// supported and the sandbox can be set to either.
public enum PagingConvention: String, Sendable, Hashable, Codable {
    /// `offset` is the page index (0, 1, 2, …).
    case pageIndex
    /// `offset` is the index of the first item (0, limit, 2·limit, …).
    case itemOffset

    /// The `offset` of the page after the one at `offset` with `limit` items per page.
    func next(after offset: Int, limit: Int) -> Int {
        switch self {
        case .pageIndex: offset + 1
        case .itemOffset: offset + limit
        }
    }
}
