import FlowExecution
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC
import Signals

/// Shows a run's progress on stderr: on a terminal one line per finished node plus a live line
/// listing the running ones; otherwise plain lines. Keeps the terminal event for the caller.
final class ProgressReporter: RunNotificationSink {
  private struct State {
    var nodeTypes: [String: String]
    var running: [String] = []
    var finished = 0
    var total = 0
    var terminal: RunEvent?
    var liveLineShown = false
  }

  private let state: Locked<State>
  private let interactive: Bool
  private let jsonWriter: OutputWriter?
  private let framer = NotificationFramer()

  /// A reporter; with `jsonWriter` every event is also written there as an NDJSON notification.
  init(nodeTypes: [String: String], jsonWriter: OutputWriter?) {
    self.state = Locked(State(nodeTypes: nodeTypes))
    self.interactive = isatty(STDERR_FILENO) == 1
    self.jsonWriter = jsonWriter
  }

  /// The run's terminal event, once emitted.
  var terminal: RunEvent? { state.withLock { $0.terminal } }

  func send(runID: String, _ events: [SequencedEvent]) {
    if let jsonWriter {
      var framed: [UInt8] = []
      framer.append(runID: runID, events, framing: jsonWriter.framing, to: &framed)
      jsonWriter.enqueueFramed(framed)
    }
    let text = state.withLock { state in events.map { render($0.event, state: &state) }.joined() }
    if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
  }

  private func render(_ event: RunEvent, state: inout State) -> String {
    var lines: [String] = []
    switch event {
    case .started(let flowID, let nodeIDs, let reused):
      state.total = nodeIDs.count
      let reuse = reused.isEmpty ? "" : ", reusing \(reused.count) cached"
      lines.append("flow \(flowID): \(nodeIDs.count) nodes\(reuse)")
    case .nodeStatus(let nodeID, let status, let reason, let attempt):
      switch status {
      case .running:
        // Again after a quota wait: still the same running node.
        if !state.running.contains(nodeID) { state.running.append(nodeID) }
        if !interactive { lines.append(line(nodeID, "running", state: state)) }
      case .waiting:
        lines.append(line(nodeID, "waiting (\(reason ?? "quota"))", state: state))
      case .retrying:
        lines.append(line(nodeID, "retrying (attempt \(attempt ?? 0): \(reason ?? "?"))", state: state))
      case .skipped, .cancelled:
        state.running.removeAll { $0 == nodeID }
        state.finished += 1
        lines.append(line(nodeID, status.rawValue + (reason.map { " (\($0))" } ?? ""), state: state))
      case .pending, .completed, .failed:
        break
      }
    case .nodeDelta:
      break
    case .nodeCompleted(let nodeID, _, let cached, let durationMS):
      state.running.removeAll { $0 == nodeID }
      state.finished += 1
      lines.append(line(nodeID, "completed in \(durationMS) ms\(cached ? " (cached)" : "")", state: state))
    case .nodeFailed(let nodeID, let error):
      state.running.removeAll { $0 == nodeID }
      state.finished += 1
      lines.append(line(nodeID, "failed: \(error.code.rawValue): \(error.message)", state: state))
    case .completed(_, let durationMS, _):
      state.terminal = event
      lines.append("completed in \(durationMS) ms")
    case .failed(let error, _, let durationMS, _):
      state.terminal = event
      lines.append("failed after \(durationMS) ms: \(error.message)")
    case .cancelled(_, let durationMS, _):
      state.terminal = event
      lines.append("cancelled after \(durationMS) ms")
    }
    guard interactive else { return lines.map { $0 + "\n" }.joined() }
    var text = state.liveLineShown ? "\r\u{1B}[K" : ""
    text += lines.map { $0 + "\n" }.joined()
    if state.terminal == nil, !state.running.isEmpty {
      let shown = state.running.prefix(6).joined(separator: ", ") + (state.running.count > 6 ? ", …" : "")
      text += "  [\(state.finished)/\(state.total)] running: \(shown)"
      state.liveLineShown = true
    } else {
      state.liveLineShown = false
    }
    return text
  }

  private func line(_ nodeID: String, _ status: String, state: State) -> String {
    "  \(nodeID) (\(state.nodeTypes[nodeID] ?? "?")) \(status)"
  }
}
