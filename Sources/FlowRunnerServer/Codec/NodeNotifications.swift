import FlowExecution
import FlowGraph
import JSON

/// `execution.node.status` `{run_id, node_id, status, reason?, attempt?}`,
/// `execution.node.delta` `{run_id, node_id, attempt, index, text}`,
/// `execution.node.completed` `{run_id, node_id, output, cached, duration_ms}` and
/// `execution.node.failed` `{run_id, node_id, error}`.
enum NodeNotifications {
  static func append(_ run: NotificationText.Run, _ event: RunEvent, to out: inout [UInt8]) {
    switch event {
    case .nodeStatus(let nodeID, let status, let reason, let attempt):
      NotificationText.begin("execution.node.status", run, to: &out)
      NotificationText.field("node_id", nodeID, to: &out)
      NotificationText.field("status", status.rawValue, to: &out)
      if let reason { NotificationText.field("reason", reason, to: &out) }
      if let attempt { NotificationText.field("attempt", attempt, to: &out) }
    case .nodeDelta(let nodeID, let attempt, let index, let text):
      NotificationText.begin("execution.node.delta", run, to: &out)
      NotificationText.field("node_id", nodeID, to: &out)
      NotificationText.field("attempt", attempt, to: &out)
      NotificationText.field("index", index, to: &out)
      NotificationText.field("text", text, to: &out)
    case .nodeCompleted(let nodeID, let output, let cached, let durationMS):
      NotificationText.begin("execution.node.completed", run, to: &out)
      NotificationText.field("node_id", nodeID, to: &out)
      JSONSerializer.appendRaw(#","output":"#, to: &out)
      NotificationText.output(output, to: &out)
      JSONSerializer.appendRaw(cached ? #","cached":true"# : #","cached":false"#, to: &out)
      if let cacheKey = output.cacheKey { NotificationText.field("cache_key", cacheKey, to: &out) }
      NotificationText.field("duration_ms", durationMS, to: &out)
    case .nodeFailed(let nodeID, let error):
      NotificationText.begin("execution.node.failed", run, to: &out)
      NotificationText.field("node_id", nodeID, to: &out)
      JSONSerializer.appendRaw(#","error":"#, to: &out)
      JSONSerializer.append(NodeOutputWire.encode(error), to: &out)
    case .started, .completed, .failed, .cancelled:
      preconditionFailure("run events are encoded by RunNotifications")
    }
  }
}
