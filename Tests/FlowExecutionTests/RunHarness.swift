import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import FlowRunnerTestSupport
import JSON
import JSONRPC
import Signals

/// Collects every run's notifications (encoded exactly as the server sends them, then parsed back).
final class CollectingSink: RunNotificationSink {
  private let events = Locked<[String: [JSONValue]]>([:])

  func send(runID: String, _ batch: [SequencedEvent]) {
    let json = batch.map { try! JSONParser.parse(RunEventEncoder.encode(runID: runID, $0)) }
    events.withLock { $0[runID, default: []] += json }
  }

  func log(_ runID: String) -> [JSONValue] { events.withLock { $0[runID] ?? [] } }
}

/// A test executor for `textOutput` nodes: sleeps a per-node time, fails for chosen ids, and
/// outputs `id(input1,input2,…)` so tests can check input order.
struct ScriptedExecutor: Sendable {
  var delays: [String: Duration] = [:]
  var failing: Set<String> = []
  /// Node id → the node whose start it waits for (up to 10 s, then it fails).
  var waitsFor: [String: String] = [:]
  let started = StartLog()

  var executor: NodeExecutor {
    { context in
      started.record(context.node.id)
      if let awaited = waitsFor[context.node.id] {
        guard try await started.wait(for: awaited, timeout: .seconds(10)) else {
          throw NodeError(.internalError, "'\(awaited)' never started while '\(context.node.id)' ran.")
        }
      }
      if let delay = delays[context.node.id] { try await Task.sleep(for: delay) }
      if failing.contains(context.node.id) {
        throw NodeError(.invalidData, "Node '\(context.node.id)' was scripted to fail.")
      }
      return NodeOutput(text: "\(context.node.id)(\(context.inputs.texts.joined(separator: ",")))")
    }
  }
}

/// A random DAG of `textOutput` nodes: edges only go from lower to higher index.
struct RandomDAG {
  var nodes: [String]
  var edges: [(String, String)]

  init(nodeCount: Int, edgeProbability: Double, using generator: inout SplitMix64) {
    nodes = (0..<nodeCount).map { "n\($0)" }
    edges = []
    for target in 0..<nodeCount {
      for source in 0..<target where Double(generator.next() % 1000) / 1000 < edgeProbability {
        edges.append((nodes[source], nodes[target]))
      }
    }
    // Shuffle the node order so the plan's topological order is not the index order.
    for position in stride(from: nodes.count - 1, to: 0, by: -1) {
      nodes.swapAt(position, Int(generator.next() % UInt64(position + 1)))
    }
  }

  var flowJSON: JSONValue {
    [
      "flow_id": "random",
      "nodes": .array(nodes.map { ["id": .string($0), "type": "textOutput", "data": [:]] }),
      "edges": .array(
        edges.enumerated().map {
          ["id": .string("e\($0.offset)"), "source": .string($0.element.0), "target": .string($0.element.1)]
        }),
    ]
  }

  var flow: Flow {
    Flow(
      flowID: "random", nodes: nodes.map { FlowNode(id: $0, type: "textOutput") },
      edges: edges.enumerated().map { FlowEdge(id: "e\($0.offset)", source: $0.element.0, target: $0.element.1) })
  }
}

enum Harness {
  static let providers: Set = ["echo", "mistral"]

  static func manager(_ executor: ScriptedExecutor, sink: CollectingSink) -> RunManager {
    var registry = NodeKits.dataOnly.executors
    registry["textOutput"] = executor.executor
    return RunManager(executors: registry, sink: sink)
  }
}

/// Which nodes have started, for executors that wait on each other.
final class StartLog: Sendable {
  private let started = Locked<Set<String>>([])
  private let changes = ChangeSignal()

  func record(_ id: String) {
    _ = started.withLock { $0.insert(id) }
    changes.notify()
  }

  func wait(for id: String, timeout: Duration) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
      let seen = changes.version
      if started.withLock({ $0.contains(id) }) { return true }
      guard await changes.wait(changedFrom: seen, until: deadline) else { return false }
    }
  }
}
