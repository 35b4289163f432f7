import JSON
import JSONRPC
import Testing

/// Checks one run's notifications against the five invariants of protocol.md §4, plus the
/// consistency of outputs. Apply it to every run a test makes.
public struct EventLogChecker {
  /// The flow as sent (`nodes`, `edges`), for dependencies.
  public let flow: JSONValue
  /// `options.max_concurrency` of the run.
  public let maxConcurrency: Int

  /// A checker for runs of `flow`.
  public init(flow: JSONValue, maxConcurrency: Int = 32) {
    self.flow = flow
    self.maxConcurrency = maxConcurrency
  }

  /// The run's outcome as the log tells it.
  public struct Summary: Sendable {
    /// `execution.completed`, `execution.failed` or `execution.cancelled`.
    public var terminalMethod: String
    /// The terminal notification's params.
    public var terminal: JSONValue
    /// Node ids the run executes.
    public var nodeIDs: [String]
    /// Each node's terminal status: completed, failed, skipped or cancelled.
    public var nodeOutcome: [String: String]
    /// Nodes in the order they started running.
    public var runningOrder: [String]
    /// The most nodes running at once.
    public var peakRunning: Int
  }

  /// Checks `events` (the run's notifications in arrival order) and returns a summary.
  @discardableResult
  public func check(_ events: [JSONValue], sourceLocation: SourceLocation = #_sourceLocation) throws -> Summary {
    let methods = events.map { $0["method"]?.stringValue ?? "?" }
    let runIDs = Set(events.compactMap { $0["params"]?["run_id"]?.stringValue })
    #expect(runIDs.count == 1, "one run per log: \(runIDs)", sourceLocation: sourceLocation)
    // Invariant 1: started first, one terminal last.
    #expect(methods.first == "execution.started", "first: \(methods.first ?? "none")", sourceLocation: sourceLocation)
    #expect(methods.filter { $0 == "execution.started" }.count == 1, sourceLocation: sourceLocation)
    let terminals = ["execution.completed", "execution.failed", "execution.cancelled"]
    #expect(
      methods.filter(terminals.contains).count == 1, "terminals: \(methods.filter(terminals.contains))",
      sourceLocation: sourceLocation)
    let terminalMethod = try #require(methods.last, sourceLocation: sourceLocation)
    #expect(terminals.contains(terminalMethod), "last: \(terminalMethod)", sourceLocation: sourceLocation)
    let started = try #require(events.first?["params"], sourceLocation: sourceLocation)
    let nodeIDs = try #require(started["node_ids"]?.arrayValue, sourceLocation: sourceLocation).compactMap(\.stringValue)
    let reused = Set((started["reused_node_ids"]?.arrayValue ?? []).compactMap(\.stringValue))
    let inRun = Set(nodeIDs)
    // Protocol 1.1: `seq` counts the run's notifications from 1; a node's terminal event
    // carries the run's progress over `node_ids`.
    let seqs = events.map { $0["params"]?["seq"]?.intValue }
    #expect(seqs == Array(1...events.count).map(Optional.some), "seq: \(seqs)", sourceLocation: sourceLocation)
    var done = 0
    for event in events {
      let params = event["params"] ?? .null
      let status = params["status"]?.stringValue
      let endsNode =
        ["execution.node.completed", "execution.node.failed"].contains(event["method"]?.stringValue)
        || status == "skipped" || status == "cancelled"
      if endsNode { done += 1 }
      let expected: JSONValue? = endsNode ? ["done": .int(done), "total": .int(nodeIDs.count)] : nil
      #expect(params["progress"] == expected, "progress of \(event)", sourceLocation: sourceLocation)
    }

    let dependencies = self.dependencies()
    var seenPending = Set<String>()
    var outcome: [String: String] = [:]
    var completed = Set<String>()
    var running = Set<String>()
    var waiting = Set<String>()
    var runningOrder: [String] = []
    var peak = 0
    for event in events.dropFirst().dropLast() {
      let params = event["params"] ?? .null
      guard let nodeID = params["node_id"]?.stringValue else {
        Issue.record("a notification without node_id between started and terminal: \(event)", sourceLocation: sourceLocation)
        continue
      }
      #expect(inRun.contains(nodeID), "event for a node not in node_ids: \(nodeID)", sourceLocation: sourceLocation)
      let kind: String
      switch event["method"]?.stringValue {
      case "execution.node.status": kind = params["status"]?.stringValue ?? "?"
      case "execution.node.completed": kind = "completed"
      case "execution.node.failed": kind = "failed"
      case "execution.node.delta": kind = "delta"
      default: kind = "unknown"
      }
      // Invariant 2: pending before anything else of the node's own, one terminal node event.
      if kind == "pending" {
        #expect(!seenPending.contains(nodeID), "pending twice: \(nodeID)", sourceLocation: sourceLocation)
        seenPending.insert(nodeID)
        continue
      }
      #expect(seenPending.contains(nodeID), "\(kind) before pending: \(nodeID)", sourceLocation: sourceLocation)
      #expect(
        outcome[nodeID] == nil, "\(kind) after the node ended (\(outcome[nodeID] ?? "")): \(nodeID)",
        sourceLocation: sourceLocation)
      switch kind {
      case "running" where waiting.contains(nodeID):
        // The end of a quota wait: the node goes on running.
        waiting.remove(nodeID)
      case "waiting":
        // A quota wait inside the node's run, which `running` ends.
        #expect(running.contains(nodeID), "waiting while not running: \(nodeID)", sourceLocation: sourceLocation)
        #expect(params["reason"] == "quota", sourceLocation: sourceLocation)
        waiting.insert(nodeID)
      case "running":
        // Invariant 3: every dependency in the run completed first.
        for dependency in dependencies[nodeID, default: []] where inRun.contains(dependency) {
          #expect(
            completed.contains(dependency), "\(nodeID) ran before its input \(dependency) completed",
            sourceLocation: sourceLocation)
        }
        for dependency in dependencies[nodeID, default: []] where !inRun.contains(dependency) {
          #expect(
            reused.contains(dependency), "\(nodeID) depends on \(dependency), neither run nor reused",
            sourceLocation: sourceLocation)
        }
        #expect(!running.contains(nodeID), sourceLocation: sourceLocation)
        running.insert(nodeID)
        runningOrder.append(nodeID)
        peak = max(peak, running.count)
      case "completed", "failed", "cancelled", "skipped":
        if kind == "skipped" {
          #expect(params["reason"] == "upstream_failed", sourceLocation: sourceLocation)
          #expect(!running.contains(nodeID), "a running node was skipped: \(nodeID)", sourceLocation: sourceLocation)
        }
        if kind == "completed" || kind == "failed" {
          #expect(running.contains(nodeID), "\(kind) without running: \(nodeID)", sourceLocation: sourceLocation)
        }
        running.remove(nodeID)
        waiting.remove(nodeID)
        outcome[nodeID] = kind
        if kind == "completed" { completed.insert(nodeID) }
      case "retrying", "delta":
        #expect(running.contains(nodeID), "\(kind) while not running: \(nodeID)", sourceLocation: sourceLocation)
      default:
        Issue.record("unexpected node event \(kind) for \(nodeID)", sourceLocation: sourceLocation)
      }
    }
    // Invariant 4 (the cap half): never more running than max_concurrency.
    #expect(peak <= maxConcurrency, "\(peak) nodes ran at once, cap \(maxConcurrency)", sourceLocation: sourceLocation)
    for nodeID in nodeIDs {
      #expect(outcome[nodeID] != nil, "no terminal event for \(nodeID)", sourceLocation: sourceLocation)
    }
    // Invariant 5: downstream of a failure is skipped; the run then fails.
    let failed = outcome.filter { $0.value == "failed" }.map(\.key)
    for node in failed {
      for downstream in self.downstream(of: node) where inRun.contains(downstream) {
        #expect(
          outcome[downstream] == "skipped" || outcome[downstream] == "cancelled",
          "\(downstream) is downstream of failed \(node) but ended \(outcome[downstream] ?? "never")",
          sourceLocation: sourceLocation)
      }
    }
    let terminal = events.last?["params"] ?? .null
    if !failed.isEmpty && terminalMethod != "execution.cancelled" {
      #expect(terminalMethod == "execution.failed", sourceLocation: sourceLocation)
    }
    if terminalMethod == "execution.completed" {
      #expect(outcome.values.allSatisfy { $0 == "completed" }, sourceLocation: sourceLocation)
    }
    if terminalMethod == "execution.failed", terminal["error"]?["code"] == "node_failed" {
      let listed = Set((terminal["error"]?["failed_node_ids"]?.arrayValue ?? []).compactMap(\.stringValue))
      #expect(listed == Set(failed), sourceLocation: sourceLocation)
    }
    // Terminal outputs: exactly the run's completed nodes.
    let outputKeys = Set(terminal["outputs"]?.objectValue?.keys ?? [])
    #expect(
      outputKeys == completed, "outputs \(outputKeys.sorted()) vs completed \(completed.sorted())", sourceLocation: sourceLocation
    )
    #expect(terminal["usage"]?["provider_calls"]?.intValue != nil, sourceLocation: sourceLocation)
    return Summary(
      terminalMethod: terminalMethod, terminal: terminal, nodeIDs: nodeIDs, nodeOutcome: outcome, runningOrder: runningOrder,
      peakRunning: peak)
  }

  /// Upstream node ids of each node, from the flow's edges.
  func dependencies() -> [String: Set<String>] {
    var result: [String: Set<String>] = [:]
    for edge in flow["edges"]?.arrayValue ?? [] {
      guard let source = edge["source"]?.stringValue, let target = edge["target"]?.stringValue, source != target else { continue }
      result[target, default: []].insert(source)
    }
    return result
  }

  func downstream(of node: String) -> Set<String> {
    var next: [String: [String]] = [:]
    for edge in flow["edges"]?.arrayValue ?? [] {
      guard let source = edge["source"]?.stringValue, let target = edge["target"]?.stringValue else { continue }
      next[source, default: []].append(target)
    }
    var seen = Set<String>()
    var stack = next[node] ?? []
    while let current = stack.popLast() {
      guard seen.insert(current).inserted else { continue }
      stack += next[current] ?? []
    }
    return seen
  }
}
