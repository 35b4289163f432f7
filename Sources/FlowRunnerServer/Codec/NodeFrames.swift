import FlowExecution
import FlowGraph
import JSON
import JSONRPC

/// The hot node notifications framed through a pointer: `execution.node.status`,
/// `execution.node.delta` and `execution.node.completed` with a text output, the bulk of what
/// a run sends. The same text as ``NodeNotifications`` writes, each piece a plain copy into
/// room set aside for a whole run of such events instead of an array append per piece.
enum NodeFrames {
  /// The most bytes the frame of `sent` takes, the run id and its seq key (`idThenSeq`) being
  /// `runBytes` long; `nil` for an event written by ``NodeNotifications`` or
  /// ``RunNotifications`` instead.
  static func room(for sent: SequencedEvent, runBytes: Int) -> Int? {
    let room = Self.room(for: sent.event, runBytes: runBytes)
    return room.flatMap { $0 <= stretchRoom ? $0 : nil }
  }

  /// The most room a stretch of frames written at once takes (a frame that needs more is
  /// written piece by piece).
  static let stretchRoom = 32 << 10

  private static func room(for event: RunEvent, runBytes: Int) -> Int? {
    // The header, method, keys and punctuation of the longest notification with margin, its
    // numbers (at most six: seq, attempt, index, done, total, the length), then its strings.
    let fixed = 200 + 6 * JSONSerializer.maximumIntegerBytes + runBytes
    func quoted(_ text: String?) -> Int { text.map { JSONSerializer.maximumQuotedBytes(utf8Count: $0.utf8.count) } ?? 0 }
    switch event {
    case .nodeStatus(let nodeID, _, let reason, _):
      return fixed + quoted(nodeID) + quoted(reason)
    case .nodeDelta(let nodeID, _, _, let text):
      return fixed + quoted(nodeID) + quoted(text)
    case .nodeCompleted(let nodeID, let output, _, _):
      guard output.text != nil, NotificationText.isTextOnWire(output) else { return nil }
      return fixed + quoted(nodeID) + quoted(output.text) + quoted(output.cacheKey)
    case .started, .nodeFailed, .completed, .failed, .cancelled:
      return nil
    }
  }

  /// Writes the frame of `sent` (one ``room(for:runBytes:)`` accepts) at `target`; returns
  /// where its body lies and, for a completed node, where its output lies, both as offsets
  /// from `target`, and the bytes written.
  static func write(
    _ sent: SequencedEvent, idThenSeq: [UInt8], framing: Framing, to target: UnsafeMutablePointer<UInt8>
  ) -> (body: Range<Int>, output: Range<Int>?, written: Int) {
    // LSP: the header with room for a three-digit length, moved once the body's is known.
    let guessedDigits = 3
    var position = framing == .lsp ? JSONSerializer.write("Content-Length: 000\r\n\r\n", to: target) : 0
    let bodyStart = position
    var output: Range<Int>?
    func put(_ text: StaticString) { position += JSONSerializer.write(text, to: target + position) }
    func put(_ value: Int) { position += JSONSerializer.write(value, to: target + position) }
    func put(quoted text: String) { position += JSONSerializer.write(quoted: text, to: target + position) }
    func begin(_ header: StaticString) {
      put(header)
      position += JSONSerializer.write(idThenSeq, to: target + position)
      put(sent.seq)
    }
    switch sent.event {
    case .nodeStatus(let nodeID, let status, let reason, let attempt):
      begin(#"{"jsonrpc":"2.0","method":"execution.node.status","params":{"run_id":"#)
      put(#","node_id":"#)
      put(quoted: nodeID)
      put(NodeNotifications.statusField(status))
      if let reason {
        put(#","reason":"#)
        put(quoted: reason)
      }
      if let attempt {
        put(#","attempt":"#)
        put(attempt)
      }
    case .nodeDelta(let nodeID, let attempt, let index, let text):
      begin(#"{"jsonrpc":"2.0","method":"execution.node.delta","params":{"run_id":"#)
      put(#","node_id":"#)
      put(quoted: nodeID)
      put(#","attempt":"#)
      put(attempt)
      put(#","index":"#)
      put(index)
      put(#","text":"#)
      put(quoted: text)
    case .nodeCompleted(let nodeID, let nodeOutput, let cached, let durationMS):
      begin(#"{"jsonrpc":"2.0","method":"execution.node.completed","params":{"run_id":"#)
      put(#","node_id":"#)
      put(quoted: nodeID)
      put(#","output":"#)
      let outputStart = position
      put(#"{"text":"#)
      put(quoted: nodeOutput.text ?? "")
      put("}")
      output = outputStart..<position
      put(cached ? #","cached":true"# : #","cached":false"#)
      if let cacheKey = nodeOutput.cacheKey {
        put(#","cache_key":"#)
        put(quoted: cacheKey)
      }
      put(#","duration_ms":"#)
      put(durationMS)
    case .started, .nodeFailed, .completed, .failed, .cancelled:
      preconditionFailure("written by NodeNotifications or RunNotifications")
    }
    if let progress = sent.progress {
      put(#","progress":{"done":"#)
      put(progress.done)
      put(#","total":"#)
      put(progress.total)
      put("}")
    }
    put("}}")
    var body = bodyStart..<position
    switch framing {
    case .ndjson:
      put("\n")
    case .lsp:
      let length = body.count
      let digits = JSONSerializer.decimalDigitCount(UInt(length))
      if digits != guessedDigits {
        // Rare: the body moves to fit the length's digits (the room allows for twenty).
        let shift = digits - guessedDigits
        UnsafeMutableRawPointer(target + bodyStart + shift).copyMemory(from: target + bodyStart, byteCount: length)
        body = body.lowerBound + shift..<body.upperBound + shift
        output = output.map { $0.lowerBound + shift..<$0.upperBound + shift }
        position += shift
      }
      let slot = target + "Content-Length: ".utf8.count
      _ = JSONSerializer.write("\r\n\r\n", to: slot + JSONSerializer.write(length, to: slot))
    }
    return (body, output, position)
  }
}
