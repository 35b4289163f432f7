import FlowProviders
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC
import Logging
import Signals

/// The real server and connection, in this process, over two kernel pipes.
public final class InProcessPeer: EnginePeer {
  public let output: OutputCollector
  private let inputWrite: Int32
  private let connection: Connection
  private let exit = Latch<Int32>()
  private let inputOpen = Locked(true)
  /// The server, for tests that inspect its state.
  public let server: FlowRunnerServer

  /// Starts a server with these options and settings (the environment in `options` is read as
  /// the process environment would be).
  public init(options: PeerOptions = .init(), handler: (any MessageHandler)? = nil) throws {
    // Close-on-exec: engines spawned by other tests must not inherit (and hold open) these pipes.
    let inputPipe = try makeCloseOnExecPipe()
    let outputPipe = try makeCloseOnExecPipe()
    inputWrite = inputPipe[1]
    var logger = Logger(label: "test.engine")
    logger.logLevel = .critical
    connection = Connection(
      inputFD: inputPipe[0], outputFD: outputPipe[1],
      configuration: .init(
        framingMode: options.framing, maximumMessageBytes: options.maxMessageBytes,
        checkedByHandler: FlowRunnerServer.methodsCheckingTheirParams),
      logger: logger)
    output = OutputCollector(fd: outputPipe[0], framing: options.framing, recordsTraffic: handler == nil)
    server = FlowRunnerServer(
      connection: connection,
      baseSettings: EngineSettings(providers: .fromEnvironment(options.environment)),
      logger: logger)
    let inputRead = inputPipe[0]
    let outputWrite = outputPipe[1]
    if let handler {
      connection.start(handler: handler)
    } else {
      server.start()
      Task { [self] in
        let code = await server.waitForExit()
        await connection.writer.flush(timeout: .seconds(1))
        exit.set(code)
        connection.writer.close()
        await connection.writer.flush(timeout: .seconds(1))
        close(outputWrite)
      }
    }
    Task { [connection] in
      await connection.waitUntilInputClosed()
      close(inputRead)
    }
  }

  /// The connection, for tests that send notifications through it.
  public var engineConnection: Connection { connection }

  public func send(_ bytes: [UInt8]) throws {
    let failure = bytes.withUnsafeBytes { raw -> Int32? in
      var offset = 0
      while offset < raw.count {
        let count = write(inputWrite, raw.baseAddress! + offset, raw.count - offset)
        if count < 0 { return errno }
        offset += count
      }
      return nil
    }
    if let failure { throw PeerError.setup("write failed: errno \(failure)") }
  }

  public func closeInput() {
    let wasOpen = inputOpen.withLock { open -> Bool in
      defer { open = false }
      return open
    }
    if wasOpen { close(inputWrite) }
  }

  public func waitForExit(timeout: Duration) async throws -> Int32 {
    guard let code = await exit.wait(timeout: timeout) else {
      throw PeerError.timeout("engine did not exit within \(timeout)")
    }
    return code
  }

  public var standardError: [UInt8] { [] }

  public func finish() async {
    closeInput()
  }
}
