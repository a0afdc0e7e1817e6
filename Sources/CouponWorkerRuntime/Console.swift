import Foundation

/// What commands print for people and scripts: each line written at once, unbuffered even
/// into a pipe, because supervisors and tests read addresses and summaries while a command runs.
public enum Console {
    /// One line on standard output.
    public static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// One line on standard error: configuration problems and refusals, for operators.
    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
