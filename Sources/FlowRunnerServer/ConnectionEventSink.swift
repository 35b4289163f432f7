import FlowExecution
import FlowPersistence
import JSONRPC
import Signals

/// Sends run events to the client as notifications. A batch is queued on the connection's
/// writer as work: the writer thread encodes it in its place in the output, so the run's own
/// thread goes on with the next nodes meanwhile. With a journal, the same bodies are handed to it
/// first (so a client that has seen a notification finds it in the journal), exactly as sent.
struct ConnectionEventSink: RunNotificationSink {
  let connection: Connection
  let journal: JournalSlot
  let framer = NotificationFramer()

  func send(runID: String, _ events: [SequencedEvent]) {
    let journal = journal.journal
    connection.writer.enqueueDeferred(estimatedBytes: events.count * 160) { [framer] framing, out in
      guard let journal else {
        framer.append(runID: runID, events, framing: framing, to: &out)
        return
      }
      // Each body is written once, framed; the journal takes the same bytes: the framed bytes
      // themselves with NDJSON (bodies and newlines), the bodies cut out of them with LSP.
      let start = out.count
      var ranges: [Range<Int>] = []
      if framing == .lsp { ranges.reserveCapacity(events.count) }
      framer.append(runID: runID, events, framing: framing, to: &out) { body in
        if framing == .lsp { ranges.append(body) }
      }
      var bodies: [UInt8]
      if framing == .lsp {
        bodies = []
        bodies.reserveCapacity(out.count - start)
        for range in ranges {
          bodies.append(contentsOf: out[range])
          bodies.append(UInt8(ascii: "\n"))
        }
      } else {
        bodies = Array(out[start...])
      }
      journal.append(JournalBatch(runID: runID, events, bodies: bodies))
    }
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
