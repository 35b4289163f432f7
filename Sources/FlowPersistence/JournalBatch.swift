import FlowExecution
import Foundation

/// Consecutive notifications of one run as the journal stores them: their bodies exactly as
/// sent, and what they change in the run's row.
public struct JournalBatch: Sendable {
  /// The run's first notification (`execution.started`) opens its row.
  public struct Start: Sendable {
    /// The flow's id.
    public var flowID: String
    /// Nodes in the run.
    public var total: Int
    /// When it started (milliseconds since 1970).
    public var startedAt: Int64

    /// The row a run opens.
    public init(flowID: String, total: Int, startedAt: Int64) {
      self.flowID = flowID
      self.total = total
      self.startedAt = startedAt
    }
  }

  /// The run's terminal notification closes its row.
  public struct End: Sendable {
    /// How the run ended.
    public var state: RunState
    /// Its whole duration.
    public var durationMS: Int
    /// When it ended (milliseconds since 1970).
    public var endedAt: Int64

    /// The row's final state.
    public init(state: RunState, durationMS: Int, endedAt: Int64) {
      self.state = state
      self.durationMS = durationMS
      self.endedAt = endedAt
    }
  }

  /// The run's id.
  public var runID: String
  /// Set when the batch begins with the run's first notification.
  public var start: Start?
  /// The `seq` of the first body.
  public var firstSeq: Int
  /// The `seq` of the last body.
  public var lastSeq: Int
  /// The notification bodies, each one line ending in `\n`: the bytes a row stores, handed to
  /// the database as they are.
  public var bodies: Data
  /// Later batches of the run folded into this one, each kept as its own row's bodies and
  /// numbers (never copied into one buffer).
  var laterParts: [(firstSeq: Int, lastSeq: Int, bodies: Data)] = []
  /// The `seq` of the last of this batch's own bodies.
  private var ownLastSeq: Int
  /// Nodes ended after the batch, when it changes that count.
  public var done: Int?
  /// Set when the batch ends with the run's terminal notification.
  public var end: End?

  /// A batch of `bodies` numbered `firstSeq...lastSeq`.
  public init(
    runID: String, start: Start?, firstSeq: Int, lastSeq: Int, bodies: Data, done: Int?, end: End?
  ) {
    self.runID = runID
    self.start = start
    self.firstSeq = firstSeq
    self.lastSeq = lastSeq
    self.bodies = bodies
    self.ownLastSeq = lastSeq
    self.done = done
    self.end = end
  }

  /// Folds the next batch of the same run into this one (written in one pass, its bodies in
  /// rows of their own).
  mutating func append(_ next: JournalBatch) {
    laterParts += next.rows
    lastSeq = next.lastSeq
    done = next.done ?? done
    end = next.end ?? end
  }
}

extension JournalBatch {
  /// The rows the batch is stored as, in order: its own bodies, then each batch folded in.
  var rows: [(firstSeq: Int, lastSeq: Int, bodies: Data)] {
    [(firstSeq, ownLastSeq, bodies)] + laterParts
  }
}

/// A page of a journaled run's notifications.
public struct JournalEventPage: Sendable {
  /// The notification bodies with `seq` above the one asked for, in order.
  public var bodies: [ArraySlice<UInt8>]
  /// Whether the run has ended (also when its engine stopped before it could).
  public var ended: Bool
}
