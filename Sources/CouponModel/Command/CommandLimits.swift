/// The bounds a command message must stay within before anything else looks at it.
///
/// Checked before parsing (size) and while parsing (depth), so a hostile or broken
/// producer cannot make the worker allocate, recurse or log without bound.
public struct CommandLimits: Sendable, Hashable {
    /// The largest accepted message, in bytes. Real commands are well under 2 KiB.
    public var maxBytes: Int
    /// The deepest accepted nesting of arrays and objects; the command object itself is 1,
    /// `params` 2, `params.trade_marks` 3, its elements 4.
    public var maxDepth: Int

    public init(maxBytes: Int = 64 * 1024, maxDepth: Int = 32) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// 64 KiB and 32 levels.
    public static let `default` = CommandLimits()
}
