import FlowExecution
import JSONRPC
import Signals

/// The node outputs a run's `execution.node.completed` notifications carried, as encoded then,
/// so that its terminal notification copies those bytes instead of encoding every output again.
struct EncodedRunOutputs: Sendable {
  /// The encoded outputs, one after another.
  var bytes: [UInt8] = []
  /// Each kept output's node and where it lies in `bytes`, in the order they were kept.
  private(set) var entries: [(nodeID: String, range: Range<Int>)] = []
  /// Where the next lookup starts in `entries`: a terminal notification usually lists the
  /// outputs in the order the nodes completed, so each lookup is one comparison.
  private var cursor = 0
  /// Entry positions by node, built at the first lookup out of that order.
  private var positions: [String: Int]?

  /// Room for `count` outputs, of a short text each: the kept bytes then seldom move as they
  /// grow (room never written to costs address space only).
  mutating func reserve(_ count: Int) {
    entries.reserveCapacity(count)
    bytes.reserveCapacity(count * 128)
  }

  /// Keeps the encoded output of `nodeID`: the bytes at `range` of `buffer`.
  mutating func keep(_ nodeID: String, from buffer: [UInt8], _ range: Range<Int>) {
    buffer.withUnsafeBufferPointer { keep(nodeID, from: UnsafeBufferPointer(rebasing: $0[range])) }
  }

  /// Keeps the encoded output of `nodeID`: `encoded`.
  mutating func keep(_ nodeID: String, from encoded: UnsafeBufferPointer<UInt8>) {
    let start = bytes.count
    bytes.append(contentsOf: encoded)
    entries.append((nodeID, start..<bytes.count))
    positions?[nodeID] = entries.count - 1
  }

  /// Appends the kept encoding of `nodeID`'s output to `out`; `false` when none was kept.
  mutating func append(_ nodeID: String, to out: inout [UInt8]) -> Bool {
    let position: Int
    if cursor < entries.count, entries[cursor].nodeID == nodeID {
      position = cursor
    } else {
      if positions == nil {
        var built: [String: Int] = [:]
        built.reserveCapacity(entries.count)
        // A node completes once per run; should one be kept twice, the later encoding counts.
        for (position, entry) in entries.enumerated() { built[entry.nodeID] = position }
        positions = built
      }
      guard let found = positions?[nodeID] else { return false }
      position = found
    }
    cursor = position + 1
    out.append(contentsOf: bytes[entries[position].range])
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
      kept?.reserve(nodeIDs.count)
    }
    RunEventEncoder.appendFramed(runID: runID, events, framing: framing, to: &output, keeping: &kept, bodyEnded: bodyEnded)
    guard let kept, !kept.entries.isEmpty, !events.contains(where: { $0.event.isTerminal }) else { return }
    runs.withLock { $0[runID] = kept }
  }

  /// Runs with outputs kept: zero once every run has ended.
  public var runsKept: Int { runs.withLock { $0.count } }
}
