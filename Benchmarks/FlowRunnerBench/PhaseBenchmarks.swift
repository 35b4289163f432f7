import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC
import Synchronization

/// The engine's phases for one flow measured in this process, without pipes or a client:
/// where the end-to-end figure goes.
enum PhaseBenchmarks {
  /// Encodes events as the server does and counts the bytes.
  final class CountingSink: RunNotificationSink {
    let bytes = Atomic<Int>(0)
    let framer = NotificationFramer()
    func send(runID: String, _ events: [SequencedEvent]) {
      var framed: [UInt8] = []
      framer.append(runID: runID, events, framing: .lsp, to: &framed)
      bytes.add(framed.count, ordering: .relaxed)
    }
  }

  /// Keeps a run's batches as sent.
  final class KeepingSink: RunNotificationSink {
    let batches = Mutex<[[SequencedEvent]]>([])
    func send(runID: String, _ events: [SequencedEvent]) { batches.withLock { $0.append(events) } }
  }

  static func measure(nodes count: Int) async throws -> [Measurement] {
    let request = JSONSerializer.serialize(GraphBenchmarks.dag(nodes: count))
    let clock = ContinuousClock()
    var t = clock.now
    func lap() -> Double {
      let now = clock.now
      defer { t = now }
      return (now - t).seconds * 1e6 / Double(count)
    }
    _ = try JSONParser.parse(request)
    let parse = lap()
    let flow = try FlowDocument.decode(request, path: "params").flow
    let decode = lap()
    let validation = NodeKits.standard.validate(flow)
    let validate = lap()
    // As the server reads the request: the transport's pass over the message, then the params
    // decoded and the flow validated, each on two tasks.
    let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":"#.utf8) + request + [UInt8(ascii: "}")]
    _ = lap()
    guard case .message(.request(let message)) = try DecodedBody(body, checkedByHandler: ["execution.start"]),
      case .raw(let params)? = message.rawParams
    else { throw BenchmarkError("the benchmark request did not read as a request with params") }
    let transport = lap()
    let twoTasks = try await FlowDocument.decodeConcurrently(params: params).flow
    let decodeTwoTasks = lap()
    _ = await NodeKits.standard.validateConcurrently(twoTasks)
    let validateTwoTasks = lap()
    let sink = CountingSink()
    let runs = RunManager(executors: NodeKits.standard.executors, sink: sink)
    let prepared = try runs.prepare(validation, options: RunOptions())
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let run = lap()
    // The run's notifications encoded once more, as the writer encodes them, then piece by
    // piece (each body on its own, then framed) for comparison.
    let keeping = KeepingSink()
    let again = RunManager(executors: NodeKits.standard.executors, sink: keeping)
    let rerun = try again.prepare(validation, options: RunOptions())
    again.start(rerun)
    await again.waitUntilEnded(rerun.runID)
    let batches = keeping.batches.withLock { $0 }
    // Each way twice, timing the second, so the output's pages are in place for both.
    let framer = NotificationFramer()
    var framed: [UInt8] = []
    var encode = 0.0
    for _ in 0..<2 {
      framed.removeAll(keepingCapacity: true)
      _ = lap()
      for batch in batches { framer.append(runID: rerun.runID, batch, framing: .lsp, to: &framed) }
      encode = lap()
    }
    var pieces: [UInt8] = []
    var encodePieces = 0.0
    for _ in 0..<2 {
      pieces.removeAll(keepingCapacity: true)
      _ = lap()
      for batch in batches {
        for event in batch { Framing.lsp.append(RunEventEncoder.encode(runID: rerun.runID, event), to: &pieces) }
      }
      encodePieces = lap()
    }
    return [
      Measurement(
        name: "in process: encode a run's notifications as the writer does (\(framed.count / 1024) KiB)", value: encode,
        unit: "µs/node", target: "-"),
      Measurement(
        name: "in process: encode them piece by piece (for comparison; \(pieces.count / 1024) KiB)", value: encodePieces,
        unit: "µs/node", target: "-"),
      Measurement(
        name: "in process: parse the request into a JSON tree (not done by the engine; for comparison)", value: parse,
        unit: "µs/node", target: "-"),
      Measurement(
        name: "in process: decode the flow from the bytes (grammar check, then straight into the model)", value: decode,
        unit: "µs/node", target: "-"),
      Measurement(name: "in process: validate and plan", value: validate, unit: "µs/node", target: "-"),
      Measurement(name: "in process: the transport's pass over the request", value: transport, unit: "µs/node", target: "-"),
      Measurement(
        name: "in process: decode the flow as the server does (on two tasks)", value: decodeTwoTasks, unit: "µs/node",
        target: "-"),
      Measurement(
        name: "in process: validate and plan as the server does (on two tasks)", value: validateTwoTasks, unit: "µs/node",
        target: "-"),
      Measurement(
        name: "in process: run, events encoded (\(sink.bytes.load(ordering: .relaxed) / 1024) KiB)", value: run,
        unit: "µs/node", target: "-"),
    ]
  }
}
