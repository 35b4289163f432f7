import Foundation
import JSON
import JSONRPC
import Signals

/// The built `flowrunner` binary as a child process, spoken to over real pipes.
public final class ProcessPeer: EnginePeer {
  public let output: OutputCollector
  private let process: ChildProcess
  private let stdinFD: Int32
  private let stderrCollector: OutputCollector?
  /// stderr's read end when the test does not read it (closed at ``finish()``).
  private let unreadStandardError: Int32?
  private let inputOpen = Locked(true)

  /// The binary under test: `$FLOWRUNNER_BINARY`, or `flowrunner` next to the test executable.
  public static func binaryURL() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["FLOWRUNNER_BINARY"] {
      return URL(fileURLWithPath: path)
    }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("flowrunner")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    throw PeerError.setup("flowrunner binary not found near \(executable.path); set FLOWRUNNER_BINARY")
  }

  /// Spawns `flowrunner` with these options; `arguments` replaces the default `serve …` arguments.
  public init(options: PeerOptions = .init(), arguments: [String]? = nil) throws {
    let arguments =
      arguments
      ?? ([
        "serve", "--framing", options.framing.rawValue, "--max-message-bytes", String(options.maxMessageBytes),
        "--log-level", "debug",
      ] + options.extraArguments)
    var environment = ProcessInfo.processInfo.environment
    for variable in environment.keys where variable.hasSuffix("_API_KEY") || variable == "HF_TOKEN" {
      environment[variable] = nil
    }
    environment.merge(options.environment) { _, new in new }
    // Pipes made and closed here; each end is closed on exec, so engines spawned by other
    // tests never inherit them.
    signal(SIGPIPE, SIG_IGN)  // writing to an engine that has exited is an error, not a signal
    let stdin = try makeCloseOnExecPipe()
    let stdout = try makeCloseOnExecPipe()
    let stderr = try makeCloseOnExecPipe()
    var executable = try Self.binaryURL().path
    var fullArguments = arguments
    if let limit = options.fileSizeLimit {
      // The shell sets the limit (in 512-byte blocks) and ignores SIGXFSZ, so a write past it
      // fails with EFBIG instead of killing the engine; both survive the exec.
      fullArguments = ["-c", "ulimit -f \((limit + 511) / 512); trap '' XFSZ; exec \"$0\" \"$@\"", executable] + arguments
      executable = "/bin/sh"
    }
    do {
      process = try ChildProcess(
        executable: executable, arguments: fullArguments, environment: environment,
        standardInput: stdin[0], standardOutput: stdout[1], standardError: stderr[1])
    } catch {
      for fd in stdin + stdout + stderr { close(fd) }
      throw error
    }
    close(stdin[0])
    close(stdout[1])
    close(stderr[1])
    stdinFD = stdin[1]
    output = OutputCollector(fd: stdout[0], framing: options.framing, recordsTraffic: true)
    if options.readsStandardError {
      stderrCollector = OutputCollector(fd: stderr[0], framing: nil)
      unreadStandardError = nil
    } else {
      stderrCollector = nil
      unreadStandardError = stderr[0]
    }
  }

  /// The child's process id.
  public var processID: Int32 { process.processID }

  public func send(_ bytes: [UInt8]) throws {
    let failure = bytes.withUnsafeBytes { raw -> Int32? in
      var offset = 0
      while offset < raw.count {
        let count = write(stdinFD, raw.baseAddress! + offset, raw.count - offset)
        if count < 0 {
          if errno == EINTR { continue }
          return errno
        }
        offset += count
      }
      return nil
    }
    if let failure { throw PeerError.setup("write to flowrunner failed: errno \(failure)") }
  }

  /// Writes a large input on a thread of its own: a blocking write of many megabytes would
  /// otherwise hold one of the few cooperative threads every test shares.
  public func sendLarge(_ bytes: [UInt8]) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      let thread = Thread { [self] in
        do {
          try send(bytes)
          continuation.resume()
        } catch {
          continuation.resume(throwing: error)
        }
      }
      thread.start()
    }
  }

  public func closeInput() {
    let wasOpen = inputOpen.withLock { open -> Bool in
      defer { open = false }
      return open
    }
    if wasOpen { close(stdinFD) }
  }

  public func waitForExit(timeout: Duration) async throws -> Int32 {
    guard let code = await process.waitForExit(timeout: timeout) else {
      throw PeerError.timeout("flowrunner still running after \(timeout)")
    }
    return code
  }

  public var standardError: [UInt8] { stderrCollector?.rawOutput ?? [] }

  /// All of stderr, once the process has closed it (it exits): for checks that something was
  /// never written.
  public func standardErrorToEnd(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
    guard let stderrCollector else { return [] }
    try await stderrCollector.waitUntilClosed(timeout: timeout)
    return stderrCollector.rawOutput
  }

  /// Waits until stderr holds `text`.
  public func waitForStandardError(containing text: String, timeout: Duration = .seconds(20)) async throws {
    guard let stderrCollector else { throw PeerError.setup("this peer does not read stderr") }
    let needle = Array(text.utf8)
    try await stderrCollector.waitForOutput(timeout: timeout) { bytes in
      bytes.count >= needle.count
        && (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
  }

  /// The first bytes of stderr.
  public func standardErrorPrefix(_ count: Int) -> [UInt8] { stderrCollector?.prefix(count) ?? [] }

  public func finish() async {
    closeInput()
    if (try? await waitForExit(timeout: .seconds(3))) == nil {
      process.send(signal: SIGTERM)
    }
    if let unreadStandardError { close(unreadStandardError) }
  }
}

/// A pipe (`[read, write]`) whose ends are closed on exec, so engines spawned by other tests do
/// not inherit them and keep them open.
public func makeCloseOnExecPipe() throws -> [Int32] {
  var fds: [Int32] = [0, 0]
  guard pipe(&fds) == 0 else { throw PeerError.setup("pipe failed: errno \(errno)") }
  for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
  return fds
}
