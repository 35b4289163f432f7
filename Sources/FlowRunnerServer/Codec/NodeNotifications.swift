import FlowExecution
import FlowGraph
import JSON

/// `execution.node.status` `{run_id, node_id, status, reason?, attempt?}`,
/// `execution.node.delta` `{run_id, node_id, attempt, index, text}`,
/// `execution.node.completed` `{run_id, node_id, output, cached, duration_ms}` and
/// `execution.node.failed` `{run_id, node_id, error}`.
enum NodeNotifications {
  /// Appends the notification's text after `{"jsonrpc":"2.0","method":"`; a completed node's
  /// encoded output is also kept in `kept`, when given.
  static func append(
    _ run: NotificationText.Run, _ event: RunEvent, to out: inout [UInt8], keeping kept: inout EncodedRunOutputs?
  ) {
    switch event {
    case .nodeStatus(let nodeID, let status, let reason, let attempt):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.node.status","params":{"run_id":"#, run, to: &out)
      NotificationText.field(#","node_id":"#, nodeID, to: &out)
      JSONSerializer.appendRaw(statusField(status), to: &out)
      if let reason { NotificationText.field(#","reason":"#, reason, to: &out) }
      if let attempt { NotificationText.field(#","attempt":"#, attempt, to: &out) }
    case .nodeDelta(let nodeID, let attempt, let index, let text):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.node.delta","params":{"run_id":"#, run, to: &out)
      NotificationText.field(#","node_id":"#, nodeID, to: &out)
      NotificationText.field(#","attempt":"#, attempt, to: &out)
      NotificationText.field(#","index":"#, index, to: &out)
      NotificationText.field(#","text":"#, text, to: &out)
    case .nodeCompleted(let nodeID, let output, let cached, let durationMS):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.node.completed","params":{"run_id":"#, run, to: &out)
      NotificationText.field(#","node_id":"#, nodeID, to: &out)
      JSONSerializer.appendRaw(#","output":"#, to: &out)
      let start = out.count
      NotificationText.output(output, to: &out)
      kept?.keep(nodeID, from: out, start..<out.count)
      JSONSerializer.appendRaw(cached ? #","cached":true"# : #","cached":false"#, to: &out)
      if let cacheKey = output.cacheKey { NotificationText.field(#","cache_key":"#, cacheKey, to: &out) }
      NotificationText.field(#","duration_ms":"#, durationMS, to: &out)
    case .nodeFailed(let nodeID, let error):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.node.failed","params":{"run_id":"#, run, to: &out)
      NotificationText.field(#","node_id":"#, nodeID, to: &out)
      JSONSerializer.appendRaw(#","error":"#, to: &out)
      JSONSerializer.append(NodeOutputWire.encode(error), to: &out)
    case .started, .completed, .failed, .cancelled:
      preconditionFailure("run events are encoded by RunNotifications")
    }
  }

  /// `,"status":"<status>"`.
  static func statusField(_ status: NodeStatus) -> StaticString {
    switch status {
    case .pending: #","status":"pending""#
    case .running: #","status":"running""#
    case .retrying: #","status":"retrying""#
    case .waiting: #","status":"waiting""#
    case .completed: #","status":"completed""#
    case .failed: #","status":"failed""#
    case .skipped: #","status":"skipped""#
    case .cancelled: #","status":"cancelled""#
    }
  }
}
