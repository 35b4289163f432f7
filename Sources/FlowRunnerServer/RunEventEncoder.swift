import FlowExecution
import JSONRPC

/// Turns run events into notification bodies, appending JSON text directly (no intermediate
/// JSON values for the hot node events), with the same escaping as ``JSONSerializer``.
public enum RunEventEncoder {
  /// The notification methods a run produces.
  public static let methods = [
    "execution.started", "execution.node.status", "execution.node.delta", "execution.node.completed",
    "execution.node.failed", "execution.completed", "execution.failed", "execution.cancelled",
  ]

  /// The serialized notification for one event.
  public static func encode(runID: String, _ event: RunEvent) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(128)
    append(runID: runID, event, to: &out)
    return out
  }

  /// Appends the serialized notifications of `events`, each framed, to `output`: one growing
  /// buffer for a whole batch, each body written in place.
  public static func appendFramed(runID: String, _ events: [RunEvent], framing: Framing, to output: inout [UInt8]) {
    for event in events {
      framing.appendFrame(to: &output) { append(runID: runID, event, to: &$0) }
    }
  }

  /// Appends the serialized notification for one event.
  public static func append(runID: String, _ event: RunEvent, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","method":""#, to: &out)
    switch event {
    case .started(let flowID, let nodeIDs, let reusedNodeIDs):
      begin("execution.started", runID: runID, to: &out)
      field("flow_id", flowID, to: &out)
      JSONSerializer.appendRaw(#","node_ids":"#, to: &out)
      appendStrings(nodeIDs, to: &out)
      JSONSerializer.appendRaw(#","reused_node_ids":"#, to: &out)
      appendStrings(reusedNodeIDs, to: &out)
    case .nodeStatus(let nodeID, let status, let reason, let attempt):
      begin("execution.node.status", runID: runID, to: &out)
      field("node_id", nodeID, to: &out)
      field("status", status.rawValue, to: &out)
      if let reason { field("reason", reason, to: &out) }
      if let attempt {
        JSONSerializer.appendRaw(#","attempt":"#, to: &out)
        JSONSerializer.append(attempt, to: &out)
      }
    case .nodeDelta(let nodeID, let attempt, let index, let text):
      begin("execution.node.delta", runID: runID, to: &out)
      field("node_id", nodeID, to: &out)
      JSONSerializer.appendRaw(#","attempt":"#, to: &out)
      JSONSerializer.append(attempt, to: &out)
      JSONSerializer.appendRaw(#","index":"#, to: &out)
      JSONSerializer.append(index, to: &out)
      field("text", text, to: &out)
    case .nodeCompleted(let nodeID, let output, let cached, let durationMS):
      begin("execution.node.completed", runID: runID, to: &out)
      field("node_id", nodeID, to: &out)
      JSONSerializer.appendRaw(#","output":"#, to: &out)
      appendOutput(output, to: &out)
      JSONSerializer.appendRaw(cached ? #","cached":true"# : #","cached":false"#, to: &out)
      JSONSerializer.appendRaw(#","duration_ms":"#, to: &out)
      JSONSerializer.append(durationMS, to: &out)
    case .nodeFailed(let nodeID, let error):
      begin("execution.node.failed", runID: runID, to: &out)
      field("node_id", nodeID, to: &out)
      JSONSerializer.appendRaw(#","error":"#, to: &out)
      JSONSerializer.append(error.json, to: &out)
    case .completed(let outputs, let durationMS, let usage):
      begin("execution.completed", runID: runID, to: &out)
      appendEnd(outputs: outputs, durationMS: durationMS, usage: usage, to: &out)
    case .failed(let error, let outputs, let durationMS, let usage):
      begin("execution.failed", runID: runID, to: &out)
      JSONSerializer.appendRaw(#","error":"#, to: &out)
      JSONSerializer.append(
        [
          "code": .string(error.code), "message": .string(error.message),
          "failed_node_ids": .array(error.failedNodeIDs.map(JSONValue.string)),
        ], to: &out)
      appendEnd(outputs: outputs, durationMS: durationMS, usage: usage, to: &out)
    case .cancelled(let outputs, let durationMS, let usage):
      begin("execution.cancelled", runID: runID, to: &out)
      appendEnd(outputs: outputs, durationMS: durationMS, usage: usage, to: &out)
    }
    JSONSerializer.appendRaw("}}", to: &out)
  }

  private static func begin(_ method: StaticString, runID: String, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(method, to: &out)
    JSONSerializer.appendRaw(#"","params":{"run_id":"#, to: &out)
    JSONSerializer.append(runID, to: &out)
  }

  private static func field(_ name: StaticString, _ value: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: ","))
    out.append(UInt8(ascii: "\""))
    JSONSerializer.appendRaw(name, to: &out)
    JSONSerializer.appendRaw(#"":"#, to: &out)
    JSONSerializer.append(value, to: &out)
  }

  private static func appendStrings(_ strings: [String], to out: inout [UInt8]) {
    out.append(UInt8(ascii: "["))
    for (position, string) in strings.enumerated() {
      if position > 0 { out.append(UInt8(ascii: ",")) }
      JSONSerializer.append(string, to: &out)
    }
    out.append(UInt8(ascii: "]"))
  }

  private static func appendOutput(_ output: NodeOutput, to out: inout [UInt8]) {
    // The common case, a text-only output, without building a JSON value.
    if let text = output.text, output.personas == nil, output.image == nil, output.model == nil, output.usage == nil {
      JSONSerializer.appendRaw(#"{"text":"#, to: &out)
      JSONSerializer.append(text, to: &out)
      out.append(UInt8(ascii: "}"))
    } else {
      JSONSerializer.append(output.json, to: &out)
    }
  }

  private static func appendEnd(outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(#","outputs":{"#, to: &out)
    for (position, (nodeID, output)) in outputs.enumerated() {
      if position > 0 { out.append(UInt8(ascii: ",")) }
      JSONSerializer.append(nodeID, to: &out)
      out.append(UInt8(ascii: ":"))
      appendOutput(output, to: &out)
    }
    out.append(UInt8(ascii: "}"))
    JSONSerializer.appendRaw(#","duration_ms":"#, to: &out)
    JSONSerializer.append(durationMS, to: &out)
    JSONSerializer.appendRaw(#","usage":"#, to: &out)
    JSONSerializer.append(usage.json, to: &out)
  }
}

/// Sends run events to the client as notifications.
struct ConnectionEventSink: RunEventSink {
  let connection: Connection

  func emit(runID: String, _ events: [RunEvent]) {
    var framed: [UInt8] = []
    framed.reserveCapacity(events.count * 160)
    RunEventEncoder.appendFramed(runID: runID, events, framing: connection.writer.framing, to: &framed)
    connection.writer.enqueueFramed(framed)
  }
}
