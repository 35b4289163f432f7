import FlowExecution
import JSON
import JSONRPC

/// `execution.status`: `{run_id}` → `{run_id, flow_id, state, nodes, outputs}`.
enum ExecutionStatusMethod: RequestCodec {
  static let method = "execution.status"
  static let positionalNames = ["run_id"]

  static func decode(_ params: MessageParams?) throws(ResponseError) -> String {
    try reader(params).requiredString("run_id")
  }

  static func encode(_ snapshot: RunSnapshot) -> JSONValue {
    var nodes = JSONObject()
    nodes.reserveCapacity(snapshot.nodes.count)
    for node in snapshot.nodes { nodes[node.id] = .string(node.status.rawValue) }
    return [
      "run_id": .string(snapshot.runID), "flow_id": .string(snapshot.flowID), "state": .string(snapshot.state.rawValue),
      "nodes": .object(nodes), "outputs": NodeOutputWire.encode(snapshot.outputs),
    ]
  }
}
