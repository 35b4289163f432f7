import Foundation
import JSON
import JSONRPC

/// Benchmarks of the graph engine through the release binary.
enum GraphBenchmarks {
  /// A DAG of data nodes shaped like an editor's save: `position`, `width`, `height` on every
  /// node. A fifth are prompts (sources); a fifth are scene builders fed by a prompt; two fifths
  /// are outputs passing on one earlier node's text; a fifth are outputs merging two prompts or
  /// scenes. Inputs come from the 200 nodes before, so the graph is deep and wide while texts stay
  /// prompt-sized (about 1.2 edges per node).
  static func dag(nodes count: Int, seed: UInt64 = 1) -> JSONValue {
    var state = seed
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let settings = ["castle", "forest", "city", "desert", "space"]
    var nodes: [JSONValue] = []
    var edges: [JSONValue] = []
    nodes.reserveCapacity(count)
    var prompts: [Int] = []
    var mergeable: [Int] = []
    func recent(_ pool: [Int]) -> Int { pool[max(0, pool.count - 40) + next(min(40, pool.count))] }
    func connect(_ source: Int, _ target: Int, _ input: Int) {
      edges.append([
        "id": .string("edge-\(target)-\(input)"), "source": .string("node-\(source)"), "target": .string("node-\(target)"),
        "sourceHandle": "text", "targetHandle": "text",
      ])
    }
    for index in 0..<count {
      let id = JSONValue.string("node-\(index)")
      let position: JSONValue = ["x": .int(index % 100 * 280), "y": .int(index / 100 * 160)]
      let kind = prompts.isEmpty ? 0 : index % 5
      switch kind {
      case 0:
        nodes.append([
          "id": id, "type": "initialPrompt", "position": position, "width": 240, "height": 120,
          "data": ["text": .string("Prompt number \(index): a traveller at the edge of a map")],
        ])
        prompts.append(index)
        mergeable.append(index)
      case 1:
        nodes.append([
          "id": id, "type": "sceneBuilder", "position": position, "width": 240, "height": 120,
          "data": ["setting": .string(settings[index % 5]), "mood": "serene"],
        ])
        connect(recent(prompts), index, 0)
        mergeable.append(index)
      case 2, 3:
        nodes.append(["id": id, "type": "textOutput", "position": position, "width": 240, "height": 120, "data": [:]])
        connect(max(0, index - 1 - next(min(index, 200))), index, 0)
      default:
        nodes.append(["id": id, "type": "textOutput", "position": position, "width": 240, "height": 120, "data": [:]])
        // Two different inputs: an editor does not draw the same edge twice.
        let first = recent(mergeable)
        var second = recent(mergeable)
        if second == first { second = mergeable[mergeable.count - 1] == first ? prompts[0] : mergeable[mergeable.count - 1] }
        connect(first, index, 0)
        if second != first { connect(second, index, 1) }
      }
    }
    return ["flow_id": "benchmark", "nodes": .array(nodes), "edges": .array(edges), "options": ["max_concurrency": 32]]
  }

  /// Sends `execution.start` for a `count`-node DAG and measures until `execution.completed`
  /// is read, in microseconds per node; also the request size and the engine's peak RSS.
  static func execute(binary: String, nodes count: Int, repetitions: Int) throws -> [Measurement] {
    let flow = dag(nodes: count)
    let request = frame(JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "execution.start", "params": flow]).description)
    var perNode: [Double] = []
    var untilStarted: [Double] = []
    var peak = 0
    for _ in 0..<repetitions {
      let peer = try BenchmarkPeer.initialized(binary: binary)
      let start = ContinuousClock.now
      peer.send(request)
      try peer.waitForTerminals(1)
      perNode.append((ContinuousClock.now - start).seconds * 1e6 / Double(count))
      if let started = peer.firstStarted { untilStarted.append((started - start).seconds * 1e6 / Double(count)) }
      guard peer.frames >= 3 * count else { throw BenchmarkError("only \(peer.frames) frames for \(count) nodes") }
      peak = max(peak, peer.peakResidentKiB)
      peer.stop()
    }
    perNode.sort()
    untilStarted.sort()
    return [
      Measurement(
        name: "\(count)-node DAG, of which: sending, parsing, validating, planning until execution.started",
        value: untilStarted.isEmpty ? -1 : untilStarted[untilStarted.count / 2], unit: "µs/node", target: "-"),
      Measurement(
        name:
          "\(count)-node DAG, execution.start → execution.completed (median of \(repetitions); request \(request.count / 1024) KiB)",
        value: perNode[perNode.count / 2], unit: "µs/node", target: "<= 4 µs/node"),
      Measurement(
        name: "\(count)-node DAG, peak RSS of the engine", value: Double(peak) / 1024, unit: "MiB", target: "<= 60 MB (57.2 MiB)"),
    ]
  }

  /// `flow.validate` of a `count`-node DAG: from sending the request to reading the answer.
  static func validate(binary: String, nodes count: Int, repetitions: Int) throws -> Measurement {
    let flow = dag(nodes: count)
    let request = frame(JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "flow.validate", "params": flow]).description)
    var samples: [Double] = []
    for _ in 0..<repetitions {
      let peer = try BenchmarkPeer.initialized(binary: binary)
      let start = ContinuousClock.now
      peer.send(request)
      try peer.waitForFrames(2)
      samples.append((ContinuousClock.now - start).seconds * 1000)
      guard String(decoding: peer.lastBody.prefix(200), as: UTF8.self).contains(#""valid":true"#) else {
        throw BenchmarkError("the benchmark flow did not validate")
      }
      peer.stop()
    }
    samples.sort()
    return Measurement(
      name: "flow.validate of a \(count)-node DAG (\(request.count / 1024) KiB), median of \(repetitions)",
      value: samples[samples.count / 2], unit: "ms", target: "<= 1000 ms")
  }

  /// The driver's reader floor for the execution benchmark: splitting the same number of
  /// notification frames of the same size from memory.
  static func readerFloor(nodes count: Int) -> Measurement {
    var script: [UInt8] = []
    for index in 0..<(3 * count) {
      script += frame(
        #"{"jsonrpc":"2.0","method":"execution.node.status","params":{"run_id":"run-abc-1","node_id":"node-\#(index)","status":"running"}}"#
      )
    }
    var parser = LSPFrameParser(maximumMessageBytes: Int.max)
    var events: [FrameEvent] = []
    let start = ContinuousClock.now
    var offset = 0
    while offset < script.count {
      let end = min(script.count, offset + (1 << 16))
      script.withUnsafeBufferPointer { parser.feed(UnsafeBufferPointer(rebasing: $0[offset..<end]), into: &events) }
      events.removeAll(keepingCapacity: true)
      offset = end
    }
    let elapsed = ContinuousClock.now - start
    return Measurement(
      name: "driver reader floor for the DAG benchmark (3 frames per node)", value: elapsed.seconds * 1e6 / Double(count),
      unit: "µs/node", target: "well below the engine figure")
  }
}

extension GraphBenchmarks {
  /// The DAG benchmark on two binaries in pairs, alternating which goes first, each run on a
  /// fresh engine: the other build against this one in the same minutes, as a ratio.
  static func versus(binary: String, other: String, nodes count: Int, pairs: Int) throws -> [Measurement] {
    let (that, this, ratios) = try PersistenceBenchmarks.pairedDAG(
      binary: other, variantBinary: binary, nodes: count, pairs: pairs
    ) { _ in ([:], [:]) }
    return [
      Measurement(
        name: "\(count)-node DAG, other build \(other) (median of \(pairs), alternating)", value: that[pairs / 2],
        unit: "µs/node", target: "-"),
      Measurement(
        name: "\(count)-node DAG, this build (median of \(pairs))", value: this[pairs / 2], unit: "µs/node", target: "-"),
      Measurement(
        name:
          "… this ÷ other, median of the pairs' ratios (quartiles \(String(format: "%.2f", ratios[pairs / 4])) – \(String(format: "%.2f", ratios[3 * pairs / 4])))",
        value: ratios[pairs / 2], unit: "×", target: "-"),
    ]
  }
}
