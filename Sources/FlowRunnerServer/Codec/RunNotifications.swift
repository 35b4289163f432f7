import FlowExecution
import FlowGraph
import JSON

/// `execution.started` `{run_id, flow_id, node_ids, reused_node_ids}` and the terminal
/// `execution.completed` `{run_id, outputs, duration_ms, usage}`, `execution.failed`
/// `{run_id, error, outputs, duration_ms, usage}` and `execution.cancelled`
/// `{run_id, outputs, duration_ms, usage}`.
enum RunNotifications {
  /// Appends the notification's text after `{"jsonrpc":"2.0","method":"`; outputs found in
  /// `kept` are copied from there.
  static func append(_ run: NotificationText.Run, _ event: RunEvent, to out: inout [UInt8], kept: inout EncodedRunOutputs?) {
    switch event {
    case .started(let flowID, let nodeIDs, let reusedNodeIDs):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.started","params":{"run_id":"#, run, to: &out)
      NotificationText.field(#","flow_id":"#, flowID, to: &out)
      JSONSerializer.appendRaw(#","node_ids":"#, to: &out)
      strings(nodeIDs, to: &out)
      JSONSerializer.appendRaw(#","reused_node_ids":"#, to: &out)
      strings(reusedNodeIDs, to: &out)
    case .completed(let outputs, let durationMS, let usage):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.completed","params":{"run_id":"#, run, to: &out)
      end(outputs: outputs, durationMS: durationMS, usage: usage, kept: &kept, to: &out)
    case .failed(let error, let outputs, let durationMS, let usage):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.failed","params":{"run_id":"#, run, to: &out)
      JSONSerializer.appendRaw(#","error":"#, to: &out)
      JSONSerializer.append(NodeOutputWire.encode(error), to: &out)
      end(outputs: outputs, durationMS: durationMS, usage: usage, kept: &kept, to: &out)
    case .cancelled(let outputs, let durationMS, let usage):
      NotificationText.begin(#"{"jsonrpc":"2.0","method":"execution.cancelled","params":{"run_id":"#, run, to: &out)
      end(outputs: outputs, durationMS: durationMS, usage: usage, kept: &kept, to: &out)
    case .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed:
      preconditionFailure("node events are encoded by NodeNotifications")
    }
  }

  private static func strings(_ strings: [String], to out: inout [UInt8]) {
    out.append(UInt8(ascii: "["))
    for (position, string) in strings.enumerated() {
      if position > 0 { out.append(UInt8(ascii: ",")) }
      JSONSerializer.append(string, to: &out)
    }
    out.append(UInt8(ascii: "]"))
  }

  private static func end(
    outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage, kept: inout EncodedRunOutputs?, to out: inout [UInt8]
  ) {
    JSONSerializer.appendRaw(#","outputs":{"#, to: &out)
    for (position, (nodeID, output)) in outputs.enumerated() {
      if position > 0 { out.append(UInt8(ascii: ",")) }
      JSONSerializer.append(nodeID, to: &out)
      out.append(UInt8(ascii: ":"))
      if kept?.append(nodeID, to: &out) != true { NotificationText.output(output, to: &out) }
    }
    out.append(UInt8(ascii: "}"))
    NotificationText.field(#","duration_ms":"#, durationMS, to: &out)
    JSONSerializer.appendRaw(#","usage":"#, to: &out)
    JSONSerializer.append(NodeOutputWire.encode(usage), to: &out)
  }
}
