import FlowExecution
import FlowPersistence
import Foundation
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
      // Copied once, into memory the journal's row takes as it is: each body and its newline
      // take no more room than its frame.
      let room = max(out.count - start, 1)
      let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
      var written = 0
      out.withUnsafeBufferPointer { framed in
        guard let base = framed.baseAddress else { return }
        if framing == .lsp {
          for range in ranges {
            (copy + written).update(from: base + range.lowerBound, count: range.count)
            written += range.count
            copy[written] = UInt8(ascii: "\n")
            written += 1
          }
        } else {
          (copy + written).update(from: base + start, count: framed.count - start)
          written = framed.count - start
        }
      }
      let bodies = Data(bytesNoCopy: copy, count: written, deallocator: .custom { bytes, _ in bytes.deallocate() })
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
  init(runID: String, _ events: [SequencedEvent], bodies: Data) {
    // A run starts with its first event and ends with its last: only the batch's ends can say
    // so, and the nodes ended are the last count any event of it carries.
    var start: Start?
    var end: End?
    if case .started(let flowID, let nodeIDs, _)? = events.first?.event {
      start = Start(flowID: flowID, total: nodeIDs.count, startedAt: RunJournal.now())
    }
    switch events.last?.event {
    case .completed(_, let duration, _)?: end = End(state: .completed, durationMS: duration, endedAt: RunJournal.now())
    case .failed(_, _, let duration, _)?: end = End(state: .failed, durationMS: duration, endedAt: RunJournal.now())
    case .cancelled(_, let duration, _)?: end = End(state: .cancelled, durationMS: duration, endedAt: RunJournal.now())
    default: break
    }
    let done = events.last { $0.progress != nil }?.progress?.done
    self.init(
      runID: runID, start: start, firstSeq: events.first?.seq ?? 0, lastSeq: events.last?.seq ?? 0, bodies: bodies,
      done: done, end: end)
  }
}
