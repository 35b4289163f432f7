import Foundation
import JSONRPC
import Synchronization

/// The built `flowrunner` binary as a child process, spoken to over real pipes.
public final class ProcessPeer: EnginePeer {
  public let output: OutputCollector
  private let process: Process
  private let stdinHandle: FileHandle
  private let stderrCollector: OutputCollector
  private let inputOpen = Mutex(true)

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
    process = Process()
    process.executableURL = try Self.binaryURL()
    process.arguments =
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
    process.environment = environment
    let stdinPipe = Pipe()
    let stdoutPipe = Pipe()
    let stderrPipe = Pipe()
    process.standardInput = stdinPipe
    process.standardOutput = stdoutPipe
    process.standardError = stderrPipe
    try process.run()
    stdinHandle = stdinPipe.fileHandleForWriting
    output = OutputCollector(fd: dup(stdoutPipe.fileHandleForReading.fileDescriptor), framing: options.framing)
    stderrCollector = OutputCollector(fd: dup(stderrPipe.fileHandleForReading.fileDescriptor), framing: nil)
    try? stdoutPipe.fileHandleForReading.close()
    try? stderrPipe.fileHandleForReading.close()
  }

  /// The child's process id.
  public var processID: Int32 { process.processIdentifier }

  public func send(_ bytes: [UInt8]) throws {
    try stdinHandle.write(contentsOf: Data(bytes))
  }

  public func closeInput() {
    let wasOpen = inputOpen.withLock { open -> Bool in
      defer { open = false }
      return open
    }
    if wasOpen { try? stdinHandle.close() }
  }

  public func waitForExit(timeout: Duration) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
      if ContinuousClock.now >= deadline { throw PeerError.timeout("flowrunner still running after \(timeout)") }
      try await Task.sleep(for: .milliseconds(1))
    }
    return process.terminationStatus
  }

  public var standardError: [UInt8] { stderrCollector.rawOutput }

  /// The first bytes of stderr.
  public func standardErrorPrefix(_ count: Int) -> [UInt8] { stderrCollector.prefix(count) }
  public var hasOwnProcess: Bool { true }

  public func finish() async {
    closeInput()
    if (try? await waitForExit(timeout: .seconds(3))) == nil {
      process.terminate()
    }
  }
}
