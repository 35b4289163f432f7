import Foundation
import Synchronization

/// Turns a provider's stream of small text pieces into `execution.node.delta` events: pieces
/// are gathered until 64 bytes or 25 ms have accumulated, so a fast stream cannot flood the
/// client. `index` counts from 0 per attempt; a new attempt starts over. The concatenated text
/// of an attempt's deltas is exactly the text the provider streamed.
final class DeltaCoalescer: Sendable {
  private struct State {
    var attempt = 1
    var index = 0
    var pending = ""
    var lastEmit = Date.distantPast
  }

  private let nodeID: String
  private let emit: @Sendable (RunEvent) -> Void
  private let state = Mutex(State())
  private let minimumBytes = 64
  private let minimumInterval = 0.025

  init(nodeID: String, emit: @escaping @Sendable (RunEvent) -> Void) {
    self.nodeID = nodeID
    self.emit = emit
  }

  func add(attempt: Int, text: String) {
    let events = state.withLock { state -> [RunEvent] in
      var events: [RunEvent] = []
      if attempt != state.attempt {
        if let event = Self.take(&state, nodeID: nodeID) { events.append(event) }
        state.attempt = attempt
        state.index = 0
      }
      state.pending += text
      let now = Date()
      if state.pending.utf8.count >= minimumBytes || now.timeIntervalSince(state.lastEmit) >= minimumInterval,
        let event = Self.take(&state, nodeID: nodeID)
      {
        state.lastEmit = now
        events.append(event)
      }
      return events
    }
    for event in events { emit(event) }
  }

  /// Sends what is pending (at the end of an attempt).
  func flush() {
    if let event = state.withLock({ Self.take(&$0, nodeID: nodeID) }) { emit(event) }
  }

  private static func take(_ state: inout State, nodeID: String) -> RunEvent? {
    guard !state.pending.isEmpty else { return nil }
    defer {
      state.pending = ""
      state.index += 1
    }
    return .nodeDelta(nodeID: nodeID, attempt: state.attempt, index: state.index, text: state.pending)
  }
}
