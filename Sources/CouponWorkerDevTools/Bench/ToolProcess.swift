import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A command-line tool the bench runs (kcat, perf, swift-demangle), found on `PATH`.
///
/// Spawned with `posix_spawnp`, not Foundation's `Process`: a child inherits the signal mask
/// of the thread that spawns it, and the bench's threads block SIGINT and SIGCHLD. perf then
/// neither stopped at SIGINT nor saw its workload end. Here the child starts with no signal
/// blocked and every signal at its default action.
struct ToolProcess {
    var arguments: [String]
    /// Where standard output goes (discarded when `nil`).
    var output: URL?
    /// What standard input reads (nothing when `nil`).
    var input: URL?

    init(_ arguments: [String], output: URL? = nil, input: URL? = nil) {
        self.arguments = arguments
        self.output = output
        self.input = input
    }

    /// Starts the tool; its standard error is discarded. A thread of its own reaps it.
    func start() throws -> (pid: Int32, exit: ProcessExit) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input?.path ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw BenchFailure.tool("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        let exit = ProcessExit()
        let child = pid
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            // Exited: the status byte; killed by a signal: 128 + the signal, as a shell says.
            exit.finish(status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f)
        }
        reaper.start()
        return (child, exit)
    }

    /// Runs the tool to its end: its exit status, or -1 when it could not start.
    func run() async -> Int32 {
        guard let started = try? start() else { return -1 }
        return await started.exit.wait() ?? -1
    }
}
