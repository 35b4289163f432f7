import ArgumentParser
import FlowRunnerServer
import JSON
import JSONRPC
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `flowrunner serve`: the long-lived child process that editors and backends talk to.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve JSON-RPC 2.0 on stdin/stdout (LSP framing or NDJSON); logs go to stderr.")

  @OptionGroup var common: CommonOptions

  @Option(help: "Input framing: auto (NDJSON when the first byte is '{' or '['), lsp or ndjson.")
  var framing: FramingMode = .auto

  @Option(help: "The largest message accepted, in bytes; larger frames are answered -32600 and skipped.")
  var maxMessageBytes: Int = 64 << 20

  @Option(help: "The most messages one batch may hold; a larger batch is answered with one -32600, its elements unread.")
  var maxBatch: Int = 10_000

  @Option(
    name: .customLong("on-eof"),
    help: "At end of input: cancel live runs (cancel), or let them finish and write their notifications (drain).")
  var onEOF: FlowRunnerServer.EndOfInputPolicy = .cancel

  func validate() throws {
    guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive.") }
    guard maxBatch > 0 else { throw ValidationError("--max-batch must be positive.") }
  }

  func run() async throws {
    // fd 1 belongs to the protocol: frames go to a private duplicate, and fd 1 itself is pointed
    // at stderr so that a stray print from any library cannot corrupt the stream.
    let frameFD = dup(STDOUT_FILENO)
    guard frameFD >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
      throw ValidationError("Could not set up stdout for the protocol.")
    }
    _ = fcntl(frameFD, F_SETFD, FD_CLOEXEC)
    signal(SIGPIPE, SIG_IGN)
    // Larger pipe buffers (when stdin/stdout are pipes) mean fewer wake-ups for a multi-megabyte
    // flow coming in and a burst of notifications going out. This changes the pipe's capacity,
    // not the descriptors' flags; a refusal (not a pipe, over the system limit) is harmless.
    for fd in [STDIN_FILENO, frameFD] { _ = fcntl(fd, pipeSetSizeCommand, 1 << 20) }

    let logger = common.bootstrapLogging(label: "flowrunner.serve")
    let settings = try common.loadBaseSettings()
    let connection = Connection(
      inputFD: STDIN_FILENO, outputFD: frameFD,
      configuration: .init(
        framingMode: framing, maximumMessageBytes: maxMessageBytes, maximumBatch: maxBatch,
        checkedByHandler: FlowRunnerServer.methodsCheckingTheirParams),
      logger: logger)
    let server = FlowRunnerServer(
      connection: connection, baseSettings: settings, logger: logger, maxMessageBytes: maxMessageBytes,
      onEndOfInput: onEOF)
    logger.debug("Serving on stdio (framing \(framing.rawValue)).")
    let code = try await EngineService.serve(server, logger: logger)
    Glibc.exit(code)
  }
}

extension FramingMode: ExpressibleByArgument {}
extension FlowRunnerServer.EndOfInputPolicy: ExpressibleByArgument {}

/// `F_SETPIPE_SZ` (Linux); Glibc's module map does not export the macro.
private let pipeSetSizeCommand: Int32 = 1031
