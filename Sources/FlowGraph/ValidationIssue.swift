import JSONRPC

/// One problem found by validation, as `flow.validate` and `execution.start` report it.
public struct ValidationIssue: Sendable, Hashable {
  /// The issue code.
  public enum Code: String, Sendable, CaseIterable {
    case duplicateNodeID = "duplicate_node_id"
    case duplicateEdgeID = "duplicate_edge_id"
    case unknownNodeType = "unknown_node_type"
    case danglingEdge = "dangling_edge"
    case selfLoop = "self_loop"
    case cycle
    case missingInput = "missing_input"
    case invalidData = "invalid_data"
    case unknownProvider = "unknown_provider"
    case unknownTriggerNode = "unknown_trigger_node"
  }

  /// What is wrong.
  public var code: Code
  /// One sentence a person can act on.
  public var message: String
  /// The node concerned, if one is.
  public var nodeID: String?
  /// The edge concerned, if one is.
  public var edgeID: String?
  /// For `cycle`: the node ids along one cycle, first not repeated.
  public var path: [String]?

  /// An issue.
  public init(_ code: Code, _ message: String, nodeID: String? = nil, edgeID: String? = nil, path: [String]? = nil) {
    self.code = code
    self.message = message
    self.nodeID = nodeID
    self.edgeID = edgeID
    self.path = path
  }

  /// The issue as it goes on the wire.
  public var json: JSONValue {
    var object: JSONObject = ["code": .string(code.rawValue), "message": .string(message)]
    if let nodeID { object["node_id"] = .string(nodeID) }
    if let edgeID { object["edge_id"] = .string(edgeID) }
    if let path { object["path"] = .array(path.map(JSONValue.string)) }
    return .object(object)
  }
}
