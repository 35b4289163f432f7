import Foundation
import Signals

/// A child process started with `posix_spawn` on descriptors the caller made, and reaped by a
/// thread of its own. Tests use it instead of Foundation's `Process`, which on Linux keeps
/// every process object (with its arguments, environment and handlers) alive after the child
/// has exited, so LeakSanitizer reports each one.
public final class ChildProcess: Sendable {
  /// The child's process id.
  public let processID: Int32
  private let exit = Latch<Int32>()

  /// Starts `executable` with `arguments` and exactly `environment`; the child's stdin, stdout
  /// and stderr are `standardInput`, `standardOutput` and `standardError`. Signals start with
  /// their default actions and none blocked, whatever the calling thread had.
  public init(
    executable: String, arguments: [String], environment: [String: String], standardInput: Int32,
    standardOutput: Int32, standardError: Int32
  ) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (source, target) in [(standardInput, 0), (standardOutput, 1), (standardError, 2)] {
      posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
    }
    // Nothing else of this process goes to the child. NIO does not make its sockets
    // close-on-exec, so a child would otherwise hold on to every socket open at this moment (the
    // fake provider's connections, the HTTP client's, listeners): a socket this process then
    // closes stays open in the child, no FIN goes out, and the peer waits for an answer until its
    // timeout instead of seeing the connection close.
    Self.closeDescriptors(from: 3, in: &actions)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var all = sigset_t()
    sigfillset(&all)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard result == 0 else { throw PeerError.setup("cannot start \(executable): \(String(cString: strerror(result)))") }
    let child = pid
    processID = child
    let exit = self.exit
    let reaper = Thread {
      var status: Int32 = 0
      while waitpid(child, &status, 0) < 0 && errno == EINTR {}
      // Exited: its code; killed: the signal's number (as Foundation reports it).
      let signal = status & 0x7f
      exit.set(signal == 0 ? (status >> 8) & 0xff : signal)
    }
    reaper.start()
  }

  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module
  /// does not import.
  private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
    unsafeBitCast($0, to: AddCloseFrom.self)
  }

  /// Adds actions that close every descriptor from `lowest` on in the child (after the `dup2`s).
  private static func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
    if let addCloseFrom, addCloseFrom(&actions, lowest) == 0 { return }
    // An older glibc: close what is open now. A descriptor closed before the spawn only makes
    // its close action fail in the child, which posix_spawn ignores.
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap({ Int32($0) }) where fd >= lowest {
      posix_spawn_file_actions_addclose(&actions, fd)
    }
  }

  /// The exit code (or the number of the signal that ended it), once the child has ended.
  public var exitCode: Int32? { exit.value }

  /// Waits for the child to end; `nil` when it is still running after `timeout`.
  public func waitForExit(timeout: Duration) async -> Int32? {
    await exit.wait(timeout: timeout)
  }

  /// Sends `signal` to the child (nothing once it has been reaped).
  public func send(signal: Int32) {
    if exit.value == nil { kill(processID, signal) }
  }
}
