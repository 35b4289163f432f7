import Signals

/// Turns a provider's stream of small text pieces into `execution.node.delta` events: pieces
/// are held until 64 bytes have gathered or 25 ms have passed since the first held piece (a
/// timer sends what is held then, so a slow stream still shows), the first piece included.
/// `index` counts from 0 per attempt; a new attempt starts over. The concatenated text of an
/// attempt's deltas is exactly the text the provider streamed.
final class DeltaCoalescer: Sendable {
  private struct State {
    var attempt = 1
    var index = 0
    var pending = ""
    /// When the oldest held piece arrived.
    var heldSince: ContinuousClock.Instant?
    var timerArmed = false
  }

  private let nodeID: String
  private let emit: @Sendable (RunEvent) -> Void
  private let state = Locked(State())
  /// Held text is sent once it reaches this many bytes…
  static let minimumBytes = 64
  /// … or once the oldest held piece is this old.
  static let maximumDelay = Duration.milliseconds(25)

  init(nodeID: String, emit: @escaping @Sendable (RunEvent) -> Void) {
    self.nodeID = nodeID
    self.emit = emit
  }

  func add(attempt: Int, text: String) {
    let now = ContinuousClock.now
    let armTimer = state.withLock { state -> Bool in
      if attempt != state.attempt {
        send(&state)
        state.attempt = attempt
        state.index = 0
      }
      state.pending += text
      if state.heldSince == nil { state.heldSince = now }
      if let since = state.heldSince,
        state.pending.utf8.count >= Self.minimumBytes || now - since >= Self.maximumDelay
      {
        send(&state)
        return false
      }
      guard !state.timerArmed else { return false }
      state.timerArmed = true
      return true
    }
    if armTimer { startTimer(after: Self.maximumDelay) }
  }

  /// One timer at a time: when it fires it sends what has been held for 25 ms, or waits again
  /// for the rest of the window of text held since.
  private func startTimer(after delay: Duration) {
    Task { [self] in
      try? await Task.sleep(for: delay)
      let again = state.withLock { state -> Duration? in
        guard let since = state.heldSince else {
          state.timerArmed = false
          return nil
        }
        let held = ContinuousClock.now - since
        if held >= Self.maximumDelay {
          send(&state)
          state.timerArmed = false
          return nil
        }
        return Self.maximumDelay - held
      }
      if let again { startTimer(after: again) }
    }
  }

  /// Sends what is held (at the end of an attempt).
  func flush() {
    state.withLock { send(&$0) }
  }

  /// Emits the held text as one delta. Called under the lock, so deltas go out in index order
  /// whether the stream, the timer or the end of the attempt sends them.
  private func send(_ state: inout State) {
    state.heldSince = nil
    guard !state.pending.isEmpty else { return }
    let event = RunEvent.nodeDelta(nodeID: nodeID, attempt: state.attempt, index: state.index, text: state.pending)
    state.pending = ""
    state.index += 1
    emit(event)
  }
}
