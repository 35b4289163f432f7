import FlowExecution
import JSONRPC
import Signals

/// The node outputs a run's `execution.node.completed` notifications carried, as encoded then,
/// so that its terminal notification copies those bytes instead of encoding every output again.
struct EncodedRunOutputs: Sendable {
  /// The encoded outputs, one after another.
  var bytes: [UInt8] = []
  /// Where each node's output lies in `bytes`.
  var ranges: [String: Range<Int>] = [:]

  /// Keeps the encoded output of `nodeID`: the bytes at `range` of `buffer`.
  mutating func keep(_ nodeID: String, from buffer: [UInt8], _ range: Range<Int>) {
    let start = bytes.count
    bytes.append(contentsOf: buffer[range])
    ranges[nodeID] = start..<bytes.count
  }

  /// Appends the kept encoding of `nodeID`'s output to `out`; `false` when none was kept.
  func append(_ nodeID: String, to out: inout [UInt8]) -> Bool {
    guard let range = ranges[nodeID] else { return false }
    out.append(contentsOf: bytes[range])
    return true
  }
}

/// Frames run events as notifications for one connection (or one output stream). It keeps each
/// run's encoded node outputs until that run's terminal notification, which copies them instead
/// of encoding every output again. A run's batches are framed one at a time and in order (on the
/// connection writer's thread, or under the run's own lock): each batch takes its run's entry
/// out, works on it, and puts it back unless the batch ended the run.
public final class NotificationFramer: Sendable {
  private let runs = Locked<[String: EncodedRunOutputs]>([:])

  /// A framer with nothing kept.
  public init() {}

  /// Appends the framed notifications of `events` to `output`; `bodyEnded` is told where each
  /// body lies in `output`.
  public func append(
    runID: String, _ events: [SequencedEvent], framing: Framing, to output: inout [UInt8],
    bodyEnded: (Range<Int>) -> Void = { _ in }
  ) {
    var kept: EncodedRunOutputs? = runs.withLock { $0.removeValue(forKey: runID) } ?? EncodedRunOutputs()
    if case .started(_, let nodeIDs, _)? = events.first?.event {
      kept?.ranges.reserveCapacity(nodeIDs.count)
    }
    RunEventEncoder.appendFramed(runID: runID, events, framing: framing, to: &output, keeping: &kept, bodyEnded: bodyEnded)
    guard let kept, !kept.ranges.isEmpty, !events.contains(where: { $0.event.isTerminal }) else { return }
    runs.withLock { $0[runID] = kept }
  }

  /// Runs with outputs kept: zero once every run has ended.
  public var runsKept: Int { runs.withLock { $0.count } }
}
