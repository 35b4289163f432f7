import FlowExecution
import FlowGraph
import JSON
import JSONRPC

/// Turns run events into notification bodies, appending JSON text directly (no intermediate
/// JSON values for the hot node events), with the same escaping as ``JSONSerializer``. The
/// shapes live in `RunNotifications.swift` (a run's start and end) and
/// `NodeNotifications.swift` (a node's status, deltas and end).
public enum RunEventEncoder {
  /// The notification methods a run produces.
  public static let methods = [
    "execution.started", "execution.node.status", "execution.node.delta", "execution.node.completed",
    "execution.node.failed", "execution.completed", "execution.failed", "execution.cancelled",
  ]

  /// The serialized notification for one event as sent.
  public static func encode(runID: String, _ event: SequencedEvent) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(128)
    append(runID: runID, event, to: &out)
    return out
  }

  /// Appends the serialized notifications of `events`, each framed, to `output`: one growing
  /// buffer for a whole batch, each body written in place.
  public static func appendFramed(
    runID: String, _ events: [SequencedEvent], framing: Framing, to output: inout [UInt8]
  ) {
    for event in events {
      framing.appendFrame(to: &output) { append(runID: runID, event, to: &$0) }
    }
  }

  /// Appends the serialized notification for one event as sent: with its `seq`, and its
  /// `progress` when it ends a node.
  public static func append(runID: String, _ sent: SequencedEvent, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","method":""#, to: &out)
    let run = NotificationText.Run(id: runID, seq: sent.seq)
    switch sent.event {
    case .started, .completed, .failed, .cancelled:
      RunNotifications.append(run, sent.event, to: &out)
    case .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed:
      NodeNotifications.append(run, sent.event, to: &out)
    }
    if let progress = sent.progress {
      JSONSerializer.appendRaw(#","progress":{"done":"#, to: &out)
      JSONSerializer.append(progress.done, to: &out)
      JSONSerializer.appendRaw(#","total":"#, to: &out)
      JSONSerializer.append(progress.total, to: &out)
      out.append(UInt8(ascii: "}"))
    }
    JSONSerializer.appendRaw("}}", to: &out)
  }
}

/// Pieces of notification text shared by the notification families.
enum NotificationText {
  /// The run a notification belongs to and its place in the run's sequence.
  struct Run {
    var id: String
    var seq: Int
  }

  /// `<method>","params":{"run_id":<id>,"seq":<n>` after the opening
  /// `{"jsonrpc":"2.0","method":"`.
  static func begin(_ method: StaticString, _ run: Run, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(method, to: &out)
    JSONSerializer.appendRaw(#"","params":{"run_id":"#, to: &out)
    JSONSerializer.append(run.id, to: &out)
    JSONSerializer.appendRaw(#","seq":"#, to: &out)
    JSONSerializer.append(run.seq, to: &out)
  }

  /// `,"name":"value"`.
  static func field(_ name: StaticString, _ value: String, to out: inout [UInt8]) {
    key(name, to: &out)
    JSONSerializer.append(value, to: &out)
  }

  /// `,"name":N`.
  static func field(_ name: StaticString, _ value: Int, to out: inout [UInt8]) {
    key(name, to: &out)
    JSONSerializer.append(value, to: &out)
  }

  /// `,"name":`.
  private static func key(_ name: StaticString, to out: inout [UInt8]) {
    out.append(UInt8(ascii: ","))
    out.append(UInt8(ascii: "\""))
    JSONSerializer.appendRaw(name, to: &out)
    JSONSerializer.appendRaw(#"":"#, to: &out)
  }

  /// A node output; the common text-only case without building a JSON value.
  static func output(_ output: NodeOutput, to out: inout [UInt8]) {
    if let text = output.text, output.personas == nil, output.image == nil, output.model == nil, output.usage == nil {
      JSONSerializer.appendRaw(#"{"text":"#, to: &out)
      JSONSerializer.append(text, to: &out)
      out.append(UInt8(ascii: "}"))
    } else {
      JSONSerializer.append(NodeOutputWire.encode(output), to: &out)
    }
  }
}
