import JSON
import JSONRPC
import Testing

/// One case of the JSON-RPC / LSP-framing conformance checklist, runnable against any peer.
public struct ConformanceCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
  /// The checklist number and a short name.
  public var name: String
  /// How the engine must be started.
  public var options: PeerOptions
  /// The exchange and its expectations.
  public var run: @Sendable (any EnginePeer) async throws -> Void

  /// A case with a name, start options and a body.
  public init(_ name: String, options: PeerOptions = .init(), run: @escaping @Sendable (any EnginePeer) async throws -> Void) {
    self.name = name
    self.options = options
    self.run = run
  }

  public var testDescription: String { name }
  public var description: String { name }
}

/// Checks that a message is an error response with this code and id.
public func expectError(
  _ message: JSONValue, code: Int, id: JSONValue = .null, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(message["jsonrpc"] == "2.0", "not a JSON-RPC message: \(message)", sourceLocation: sourceLocation)
  #expect(message["error"]?["code"] == .int(code), "expected error \(code): \(message)", sourceLocation: sourceLocation)
  #expect(message["id"] == id, "expected id \(id): \(message)", sourceLocation: sourceLocation)
  #expect(message["result"] == nil, sourceLocation: sourceLocation)
}

/// Checks that a message is a success response with this id.
public func expectResult(_ message: JSONValue, id: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(message["id"] == id, "expected id \(id): \(message)", sourceLocation: sourceLocation)
  #expect(message["result"] != nil, "expected a result: \(message)", sourceLocation: sourceLocation)
  #expect(message["error"] == nil, sourceLocation: sourceLocation)
}

/// A request body as text.
public func requestBody(_ method: String, id: JSONValue, params: JSONValue? = nil) -> String {
  var object: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
  if let params { object["params"] = params }
  return JSONValue.object(object).description
}

/// A notification body as text.
public func notificationBody(_ method: String, params: JSONValue? = nil) -> String {
  var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
  if let params { object["params"] = params }
  return JSONValue.object(object).description
}
