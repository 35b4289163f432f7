import FlowGraph
import JSON
import JSONRPC

/// `flow.validate`: the flow → `{valid, issues, plan: {node_ids, levels, reused_node_ids}}`.
public enum FlowValidateMethod: RequestCodec {
  typealias Result = FlowValidation
  /// The method name.
  public static let method = "flow.validate"

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Flow {
    try FlowParams.decode(params?.raw).flow
  }

  /// ``decode(_:)`` reading a large flow's nodes and edges side by side.
  static func decodeConcurrently(_ params: MessageParams?) async throws(ResponseError) -> Flow {
    try await FlowParams.decodeConcurrently(params?.raw).flow
  }

  /// The `flow.validate` result.
  public static func encode(_ validation: FlowValidation) -> JSONValue {
    let nodes = validation.index.flow.nodes
    let ids = { (indices: [Int]) in JSONValue.array(indices.map { .string(nodes[$0].id) }) }
    let plan: JSONValue =
      validation.plan.map { plan in
        ["node_ids": ids(plan.nodes), "levels": .array(plan.levels.map(ids)), "reused_node_ids": ids(plan.reused)]
      } ?? ["node_ids": [], "levels": [], "reused_node_ids": []]
    return ["valid": .bool(validation.isValid), "issues": encode(validation.issues), "plan": plan]
  }

  /// Issues as `issues` / `data.issues`: `{code, severity, message, node_id?, edge_id?, path?}`.
  static func encode(_ issues: [ValidationIssue]) -> JSONValue {
    .array(
      issues.map { issue in
        var object: JSONObject = [
          "code": .string(issue.code.rawValue), "severity": .string(issue.severity.rawValue),
          "message": .string(issue.message),
        ]
        if let nodeID = issue.nodeID { object["node_id"] = .string(nodeID) }
        if let edgeID = issue.edgeID { object["edge_id"] = .string(edgeID) }
        if let path = issue.path { object["path"] = .array(path.map(JSONValue.string)) }
        return .object(object)
      })
  }
}
