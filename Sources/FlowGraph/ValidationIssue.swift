/// One problem found by validation, as `flow.validate` and `execution.start` report it.
public struct ValidationIssue: Sendable, Hashable {
  /// The issue code.
  public enum Code: String, Sendable, CaseIterable {
    case duplicateNodeID = "duplicate_node_id"
    case duplicateEdgeID = "duplicate_edge_id"
    case duplicateEdge = "duplicate_edge"
    case unknownNodeType = "unknown_node_type"
    case danglingEdge = "dangling_edge"
    case selfLoop = "self_loop"
    case cycle
    case missingInput = "missing_input"
    case invalidData = "invalid_data"
    case unknownDataField = "unknown_data_field"
    case unknownProvider = "unknown_provider"
    case unknownTriggerNode = "unknown_trigger_node"
    case incompatibleEdge = "incompatible_edge"
    case unknownHandle = "unknown_handle"

    /// The severity issues of this code have: only errors make a flow invalid.
    public var severity: Severity {
      switch self {
      case .duplicateEdge, .unknownDataField, .unknownHandle: .warning
      default: .error
      }
    }
  }

  /// Whether an issue blocks the run.
  public enum Severity: String, Sendable {
    /// The flow cannot run.
    case error
    /// The flow runs; something in it is probably not what its author meant.
    case warning
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

  /// Whether the issue blocks the run.
  public var severity: Severity { code.severity }

  /// An issue.
  public init(_ code: Code, _ message: String, nodeID: String? = nil, edgeID: String? = nil, path: [String]? = nil) {
    self.code = code
    self.message = message
    self.nodeID = nodeID
    self.edgeID = edgeID
    self.path = path
  }
}
