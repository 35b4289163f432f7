import FlowExecution
import FlowPersistence
import JSONRPC
import Signals

/// Sends run events to the client as notifications: one framed buffer per batch, queued at once.
/// With a journal, the same bodies are handed to it first (so a client that has seen a
/// notification finds it in the journal), exactly as they are sent.
struct ConnectionEventSink: RunNotificationSink {
  let connection: Connection
  let journal: JournalSlot

  func send(runID: String, _ events: [SequencedEvent]) {
    var framed: [UInt8] = []
    framed.reserveCapacity(events.count * 160)
    let framing = connection.writer.framing
    guard let journal = journal.journal else {
      RunEventEncoder.appendFramed(runID: runID, events, framing: framing, to: &framed)
      connection.writer.enqueueFramed(framed)
      return
    }
    // Each body is written once, framed; the journal takes the same bytes: the framed buffer
    // itself with NDJSON (bodies and newlines), the bodies cut out of it with LSP.
    var ranges: [Range<Int>] = []
    if framing == .lsp { ranges.reserveCapacity(events.count) }
    for event in events {
      var length = 0
      framing.appendFrame(to: &framed) { out in
        let start = out.count
        RunEventEncoder.append(runID: runID, event, to: &out)
        length = out.count - start
      }
      if framing == .lsp { ranges.append(framed.count - length..<framed.count) }
    }
    var bodies: [UInt8]
    if framing == .lsp {
      bodies = []
      bodies.reserveCapacity(framed.count)
      for range in ranges {
        bodies.append(contentsOf: framed[range])
        bodies.append(UInt8(ascii: "\n"))
      }
    } else {
      bodies = framed
    }
    journal.append(JournalBatch(runID: runID, events, bodies: bodies))
    connection.writer.enqueueFramed(framed)
  }
}

/// The journal of a connection, once `initialize` has opened one.
final class JournalSlot: Sendable {
  private let slot = Locked<RunJournal?>(nil)

  /// The journal, if one is open and still writing.
  var journal: RunJournal? { slot.withLock { $0 } }

  /// Sets the journal (once, at `initialize`).
  func set(_ journal: RunJournal?) { slot.withLock { $0 = journal } }
}

extension JournalBatch {
  /// The journal's batch for events as sent, with their encoded `bodies`.
  init(runID: String, _ events: [SequencedEvent], bodies: [UInt8]) {
    var start: Start?
    var end: End?
    var done: Int?
    for sent in events {
      if let progress = sent.progress { done = progress.done }
      switch sent.event {
      case .started(let flowID, let nodeIDs, _):
        start = Start(flowID: flowID, total: nodeIDs.count, startedAt: RunJournal.now())
      case .completed(_, let duration, _):
        end = End(state: .completed, durationMS: duration, endedAt: RunJournal.now())
      case .failed(_, _, let duration, _):
        end = End(state: .failed, durationMS: duration, endedAt: RunJournal.now())
      case .cancelled(_, let duration, _):
        end = End(state: .cancelled, durationMS: duration, endedAt: RunJournal.now())
      case .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed:
        break
      }
    }
    self.init(
      runID: runID, start: start, firstSeq: events.first?.seq ?? 0, lastSeq: events.last?.seq ?? 0, bodies: bodies,
      done: done, end: end)
  }
}
