import Foundation

/// What commands print for people and scripts: each line written at once, unbuffered even
/// into a pipe, because supervisors and tests read addresses and summaries while a command runs.
enum Console {
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
