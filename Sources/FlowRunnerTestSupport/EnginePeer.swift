import Foundation
import JSON
import JSONRPC

/// How a test wants the engine started.
public struct PeerOptions: Sendable, Hashable {
  /// The `--framing` option.
  public var framing: FramingMode
  /// The `--max-message-bytes` option.
  public var maxMessageBytes: Int
  /// Extra environment variables (the process peer only; the in-process peer reads them as its environment).
  public var environment: [String: String]
  /// Extra command-line arguments (the process peer only).
  public var extraArguments: [String]
  /// Whether the test reads the engine's stderr (the process peer only); a client that never
  /// reads it must not stall the engine.
  public var readsStandardError: Bool
  /// The largest file the engine may write, in bytes (`ulimit -f`; the process peer only): past
  /// it a write fails as on a full disk.
  public var fileSizeLimit: Int?

  /// Options with the engine's defaults.
  public init(
    framing: FramingMode = .auto, maxMessageBytes: Int = 64 << 20, environment: [String: String] = [:],
    extraArguments: [String] = [], readsStandardError: Bool = true, fileSizeLimit: Int? = nil
  ) {
    self.fileSizeLimit = fileSizeLimit
    self.framing = framing
    self.maxMessageBytes = maxMessageBytes
    self.environment = environment
    self.extraArguments = extraArguments
    self.readsStandardError = readsStandardError
  }
}

/// A running engine a test talks to: in process over pipes, or the built binary as a child process.
public protocol EnginePeer: Sendable {
  /// Writes bytes to the engine's input in one write.
  func send(_ bytes: [UInt8]) throws
  /// Closes the engine's input (end of file).
  func closeInput()
  /// What the engine writes.
  var output: OutputCollector { get }
  /// Waits for the engine to exit and returns its exit code.
  func waitForExit(timeout: Duration) async throws -> Int32
  /// Everything written to stderr (empty for the in-process peer, whose logs go elsewhere).
  var standardError: [UInt8] { get }
  /// Stops the engine if still running and releases its resources.
  func finish() async
}

extension EnginePeer {
  /// Sends a message body in LSP framing.
  public func sendLSP(_ body: String) throws {
    try send(Array("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
  }

  /// Sends a message body as one NDJSON line.
  public func sendLine(_ body: String) throws {
    try send(Array((body + "\n").utf8))
  }

  /// Sends a request in the given framing and returns the next message.
  public func request(_ method: String, id: JSONValue = 1, params: JSONValue? = nil, framing: Framing = .lsp) async throws
    -> JSONValue
  {
    var object: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
    if let params { object["params"] = params }
    let body = JSONValue.object(object).description
    output.traffic?.sent(id: id, method: method)
    switch framing {
    case .lsp: try sendLSP(body)
    case .ndjson: try sendLine(body)
    }
    return try await output.next()
  }

  /// Sends `initialize` and checks that it succeeded.
  @discardableResult
  public func initialize(params: JSONValue = [:], framing: Framing = .lsp) async throws -> JSONValue {
    let response = try await request("initialize", id: 0, params: params, framing: framing)
    guard response["result"] != nil else { throw PeerError.setup("initialize failed: \(response)") }
    return response
  }

  /// Takes the next message.
  public func next(timeout: Duration = .seconds(5)) async throws -> JSONValue {
    try await output.next(timeout: timeout)
  }

  /// Sends a `ping` and returns every message that arrives before its answer: proof that
  /// nothing else was sent, without waiting a fixed time (the engine answers in order what
  /// it has already produced).
  public func messagesBeforePing(framing: Framing = .lsp) async throws -> [JSONValue] {
    let id = JSONValue.string("sentinel-\(UInt64.random(in: 0...UInt64.max))")
    let body = JSONValue.object(["jsonrpc": "2.0", "id": id, "method": "ping"]).description
    switch framing {
    case .lsp: try sendLSP(body)
    case .ndjson: try sendLine(body)
    }
    var before: [JSONValue] = []
    while true {
      let message = try await output.next()
      if message["id"] == id { return before }
      before.append(message)
    }
  }
}

/// Frames a body for the LSP base protocol, with optional extra header lines before or after the length.
public func lspFrame(_ body: String, headersBefore: [String] = [], headersAfter: [String] = [], lengthHeader: String? = nil)
  -> [UInt8]
{
  var header = headersBefore.map { $0 + "\r\n" }.joined()
  header += (lengthHeader ?? "Content-Length: \(body.utf8.count)") + "\r\n"
  header += headersAfter.map { $0 + "\r\n" }.joined()
  return Array((header + "\r\n" + body).utf8)
}
