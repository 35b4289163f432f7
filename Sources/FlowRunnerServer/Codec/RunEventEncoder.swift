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

  /// Appends the framed notifications of `events` to `output` (one growing buffer for a whole
  /// batch, each body written in place), keeping each completed node's encoded output
  /// in `kept` and copying kept outputs into a terminal notification instead of encoding them
  /// again. `bodyEnded` is told where each body lies in `output`.
  static func appendFramed(
    runID: String, _ events: [SequencedEvent], framing: Framing, to output: inout [UInt8],
    keeping kept: inout EncodedRunOutputs?, bodyEnded: (Range<Int>) -> Void = { _ in }
  ) {
    let idThenSeq = NotificationText.Run.encodedID(runID)
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: NodeFrames.stretchRoom)
    defer { scratch.deallocate() }
    var next = events.startIndex
    while next < events.endIndex {
      // A stretch of hot node notifications is written through a pointer, all at once.
      var room = 0
      var end = next
      while end < events.endIndex, let needed = NodeFrames.room(for: events[end], runBytes: idThenSeq.count),
        room + needed <= NodeFrames.stretchRoom
      {
        room += needed
        end += 1
      }
      if end > next {
        appendNodeFrames(
          events[next..<end], scratch: scratch, idThenSeq: idThenSeq, framing: framing, to: &output, keeping: &kept,
          bodyEnded: bodyEnded)
        next = end
        continue
      }
      let event = events[next]
      next += 1
      var length = 0
      framing.appendFrame(to: &output) { out in
        let start = out.count
        append(NotificationText.Run(idThenSeq: idThenSeq, seq: event.seq), event, to: &out, keeping: &kept)
        length = out.count - start
      }
      // The body ends the frame for LSP; NDJSON adds its newline after it.
      let bodyEnd = framing == .lsp ? output.count : output.count - 1
      bodyEnded(bodyEnd - length..<bodyEnd)
    }
  }

  /// Appends the frames of hot node notifications: written one after another into `scratch`
  /// (`room` bytes at least), then appended at once.
  private static func appendNodeFrames(
    _ events: ArraySlice<SequencedEvent>, scratch: UnsafeMutablePointer<UInt8>, idThenSeq: [UInt8], framing: Framing,
    to output: inout [UInt8], keeping kept: inout EncodedRunOutputs?, bodyEnded: (Range<Int>) -> Void
  ) {
    let start = output.count
    var position = 0
    for sent in events {
      let frame = NodeFrames.write(sent, idThenSeq: idThenSeq, framing: framing, to: scratch + position)
      bodyEnded(frame.body.lowerBound + start + position..<frame.body.upperBound + start + position)
      if let range = frame.output, kept != nil, case .nodeCompleted(let nodeID, _, _, _) = sent.event {
        kept?.keep(nodeID, from: UnsafeBufferPointer(start: scratch + position + range.lowerBound, count: range.count))
      }
      position += frame.written
    }
    output.append(contentsOf: UnsafeBufferPointer(start: scratch, count: position))
  }

  /// Appends the serialized notification for one event as sent: with its `seq`, and its
  /// `progress` when it ends a node.
  public static func append(runID: String, _ sent: SequencedEvent, to out: inout [UInt8]) {
    var kept: EncodedRunOutputs?
    append(NotificationText.Run(idThenSeq: NotificationText.Run.encodedID(runID), seq: sent.seq), sent, to: &out, keeping: &kept)
  }

  /// Appends one notification as sent, keeping a completed node's encoded output in `kept` (when
  /// given) and copying kept outputs into a terminal notification.
  static func append(
    _ run: NotificationText.Run, _ sent: SequencedEvent, to out: inout [UInt8], keeping kept: inout EncodedRunOutputs?
  ) {
    switch sent.event {
    case .started, .completed, .failed, .cancelled:
      RunNotifications.append(run, sent.event, to: &out, kept: &kept)
    case .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed:
      NodeNotifications.append(run, sent.event, to: &out, keeping: &kept)
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
    /// The run id as a JSON string (quoted and escaped) followed by `,"seq":`: what follows a
    /// notification's `"run_id":`, encoded once for a whole batch.
    var idThenSeq: [UInt8]
    var seq: Int

    /// `id` as a JSON string, then `,"seq":`.
    static func encodedID(_ id: String) -> [UInt8] {
      var bytes: [UInt8] = []
      bytes.reserveCapacity(id.utf8.count + 10)
      JSONSerializer.append(id, to: &bytes)
      JSONSerializer.appendRaw(#","seq":"#, to: &bytes)
      return bytes
    }
  }

  /// `{"jsonrpc":"2.0","method":"<method>","params":{"run_id":<id>,"seq":<n>`, where `header`
  /// is everything before the run id.
  static func begin(_ header: StaticString, _ run: Run, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(header, to: &out)
    out.append(contentsOf: run.idThenSeq)
    JSONSerializer.append(run.seq, to: &out)
  }

  /// `,"name":"value"`, where `key` is `,"name":`.
  static func field(_ key: StaticString, _ value: String, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(key, to: &out)
    JSONSerializer.append(value, to: &out)
  }

  /// `,"name":N`, where `key` is `,"name":`.
  static func field(_ key: StaticString, _ value: Int, to out: inout [UInt8]) {
    JSONSerializer.appendRaw(key, to: &out)
    JSONSerializer.append(value, to: &out)
  }

  /// Whether the output goes on the wire as `{"text":…}` alone (a cache key is not part of it).
  static func isTextOnWire(_ output: NodeOutput) -> Bool {
    output.text != nil
      && (output.isTextOnly
        || (output.personas == nil && output.image == nil && output.model == nil && output.usage == nil))
  }

  /// A node output; the common text-only case without building a JSON value.
  static func output(_ output: NodeOutput, to out: inout [UInt8]) {
    if let text = output.text, isTextOnWire(output) {
      JSONSerializer.appendRaw(#"{"text":"#, to: &out)
      JSONSerializer.append(text, to: &out)
      out.append(UInt8(ascii: "}"))
    } else {
      JSONSerializer.append(NodeOutputWire.encode(output), to: &out)
    }
  }
}
