import FlowExecution
import FlowGraph
import FlowProviders
import JSON
import JSONRPC

/// The flow as `execution.start` and `flow.validate` send it (and as `flowrunner run` reads
/// it from a file): `nodes`, `edges`, `flow_id`, `provider_id`, `trigger_node_id`,
/// `cached_outputs`, and `options`.
enum FlowParams {
  /// Decodes the flow straight from its bytes: nodes and edges go into the flow model as they
  /// are read (their other members, `position` and the like, are skipped without being
  /// built); `cached_outputs` and `options` are read as values. Shape problems (a missing
  /// `nodes`, a node without an `id`) are `-32602` naming the field by its path; everything
  /// about the graph itself is left to validation, which reports every issue at once.
  static func decode(_ raw: RawJSON?, path: String = "params") throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    guard let raw else { throw .invalidParams("\(path).nodes is required.") }
    do throws(ResponseError) {
      return try scanning(raw) { scanner throws in try FlowScan(path: path).flow(&scanner) }
    } catch {
      throw firstProblem(in: raw, error)
    }
  }

  /// Params at least this large have their `nodes` and `edges` read side by side.
  static let concurrentDecodingThreshold = 256 * 1024

  /// Like ``decode(_:path:)``, but a large flow whose members the transport noted has its
  /// `nodes` and `edges` read at the same time, on two tasks. The outcome is the sequential
  /// reading's, errors included: members are still judged in the order they appear.
  static func decodeConcurrently(
    _ raw: RawJSON?, path: String = "params"
  ) async throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    guard let raw, raw.range.count >= concurrentDecodingThreshold, let members = raw.members,
      let nodesMember = members.first(where: { $0.name == "nodes" }),
      let edgesMember = members.first(where: { $0.name == "edges" }),
      members.count(where: { $0.name == "nodes" || $0.name == "edges" }) == 2
    else { return try decode(raw, path: path) }
    do throws(ResponseError) {
      return try await decodeSideBySide(raw, members: members, nodes: nodesMember, edges: edgesMember, path: path)
    } catch {
      throw firstProblem(in: raw, error)
    }
  }

  private static func decodeSideBySide(
    _ raw: RawJSON, members: [RawJSON.Member], nodes nodesMember: RawJSON.Member, edges edgesMember: RawJSON.Member,
    path: String
  ) async throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    let scan = FlowScan(path: path)
    let readNodes: Result<[FlowNode]?, ResponseError>
    let edges: Result<[FlowEdge], ResponseError>
    // The nodes usually outweigh the edges: cut them where both tasks get half of the bytes,
    // the first nodes on one task, the other nodes and the edges on the other.
    let half = (nodesMember.range.count + edgesMember.range.count) / 2
    if half < nodesMember.range.count,
      let cut = Self.cut(in: raw.bytes, range: nodesMember.range, near: nodesMember.range.lowerBound + half)
    {
      let nodesValue = raw.value(of: nodesMember)
      async let head = Result { () throws(ResponseError) in
        try scanning(nodesValue, toEnd: false) { scanner throws in
          let head = try scan.nodes(&scanner, stoppingAt: cut.end)
          if !head.stopped { try scanner.expectEnd() }
          return head
        }
      }
      // The rest of the list, read as the reading of the whole list goes on after the cut.
      let afterCut = RawJSON(
        bytes: raw.bytes, range: cut.next..<nodesMember.range.upperBound, isChecked: raw.isChecked,
        depth: nodesValue.depth + 1)
      let tail = Result { () throws(ResponseError) in
        try scanning(afterCut) { scanner throws in try scan.nodes(&scanner, after: 0) }
      }
      edges = Result { () throws(ResponseError) in
        try scanning(raw.value(of: edgesMember)) { scanner throws in try scan.edges(&scanner) }
      }
      readNodes = await head.flatMap { head -> Result<[FlowNode]?, ResponseError> in
        // No node ended at the cut (it lay inside a string, say): the head read the whole list.
        guard head.stopped, var nodes = head.nodes else { return .success(head.nodes) }
        var rest = tail
        if case .failure = tail {
          // A problem after the cut is read again knowing how many nodes came before, so its
          // path names the right node.
          rest = Result { () throws(ResponseError) in
            try scanning(afterCut) { scanner throws in try scan.nodes(&scanner, after: nodes.count) }
          }
        }
        return rest.map { rest in
          nodes.append(contentsOf: rest)
          return nodes
        }
      }
    } else {
      async let nodes = Result { () throws(ResponseError) in
        try scanning(raw.value(of: nodesMember)) { scanner throws in try scan.nodes(&scanner) }
      }
      edges = Result { () throws(ResponseError) in
        try scanning(raw.value(of: edgesMember)) { scanner throws in try scan.edges(&scanner) }
      }
      readNodes = await nodes
    }
    var reading = FlowScan.Reading()
    for member in members {
      switch member.name {
      case "nodes": reading.nodes = try readNodes.get()
      case "edges": reading.edges = try edges.get()
      default:
        try scanning(raw.value(of: member)) { scanner throws in try scan.member(member.name, &scanner, into: &reading) }
      }
    }
    return try scan.finish(reading)
  }

  /// A place to cut the array at `range` near `target`: just after an element's closing `}`
  /// that a `,` and the next element's `{` follow (white space allowed between them), looked
  /// for within 64 KiB. Only a guess, as a string may hold the same bytes: the reading of the
  /// elements before it confirms it by ending an element exactly there.
  static func cut(in bytes: [UInt8], range: Range<Int>, near target: Int) -> (end: Int, next: Int)? {
    guard range.contains(target) else { return nil }
    let limit = min(range.upperBound, target + (64 << 10))
    var position = target
    while position < limit {
      if bytes[position] == UInt8(ascii: "}") {
        var next = position + 1
        while next < limit, Self.isJSONWhitespace(bytes[next]) { next += 1 }
        if next < limit, bytes[next] == UInt8(ascii: ",") {
          next += 1
          while next < limit, Self.isJSONWhitespace(bytes[next]) { next += 1 }
          if next < limit, bytes[next] == UInt8(ascii: "{") { return (position + 1, next) }
        }
      }
      position += 1
    }
    return nil
  }

  private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
  }

  /// Runs `body` with a scanner over `raw`, which must then have been read to its end (its
  /// bytes are checked as they are read when the transport left them unchecked); what is not
  /// a `ResponseError` is a parse error.
  private static func scanning<T>(
    _ raw: RawJSON, toEnd: Bool = true, _ body: (inout JSONScanner) throws -> T
  ) throws(ResponseError) -> T {
    do {
      return try raw.withScanner { scanner in
        let value = try body(&scanner)
        if toEnd { try scanner.expectEnd() }
        return value
      }
    } catch let error as ResponseError {
      throw error
    } catch {
      throw .parseError("Parse error: \(error).")
    }
  }

  /// The error to answer: when the transport left the params unchecked, bad JSON anywhere in
  /// them comes before any problem with their shape, as it does when the transport checks them.
  private static func firstProblem(in raw: RawJSON, _ error: ResponseError) -> ResponseError {
    do {
      try raw.check()
    } catch {
      return .parseError("Parse error: \(error).")
    }
    return error
  }

  /// Decodes `options`; every problem names the field and its allowed values.
  static func options(_ reader: ParamsReader?) throws(ResponseError) -> RunOptions {
    var options = RunOptions()
    guard let reader else { return options }
    options.maxConcurrency = try reader.int("max_concurrency", in: RunOptions.maxConcurrencyRange) ?? options.maxConcurrency
    options.stream = try reader.bool("stream") ?? options.stream
    if let cache = try reader.string("cache", oneOf: RunOptions.CacheMode.allCases.map(\.rawValue)) {
      options.cache = RunOptions.CacheMode(rawValue: cache) ?? options.cache
    }
    options.timeoutSeconds = try reader.double("timeout_seconds", in: RunOptions.timeoutRange, unit: "seconds")
    if let events = try reader.string("events", oneOf: RunOptions.EventDetail.allCases.map(\.rawValue)) {
      options.events = RunOptions.EventDetail(rawValue: events) ?? options.events
    }
    if let outputs = try reader.string("terminal_outputs", oneOf: RunOptions.TerminalOutputs.allCases.map(\.rawValue)) {
      options.terminalOutputs = RunOptions.TerminalOutputs(rawValue: outputs) ?? options.terminalOutputs
    }
    if let images = try reader.string("images", oneOf: RunOptions.ImageDelivery.allCases.map(\.rawValue)) {
      options.images = RunOptions.ImageDelivery(rawValue: images) ?? options.images
    }
    if let budget = try reader.object("budget") {
      let known = ["max_provider_calls", "max_tokens"]
      if let unknown = budget.object.keys.first(where: { !known.contains($0) }) {
        throw .invalidParams("\(budget.path(of: unknown)) is not a budget limit; use max_provider_calls or max_tokens.")
      }
      options.budget = RunBudget(
        maxProviderCalls: try budget.int("max_provider_calls", in: 0...1_000_000_000),
        maxTokens: try budget.int("max_tokens", in: 0...1_000_000_000_000))
    }
    if let providers = try reader.object("providers") {
      options.providers = try ProviderConfiguration(runScoped: providers)
    }
    return options
  }

}

/// The walk over a flow's bytes. Paths (`params.nodes[3].id`) are built only for messages.
private struct FlowScan {
  let path: String

  /// What the walk has read of the flow's members so far.
  struct Reading {
    var nodes: [FlowNode]?
    var edges: [FlowEdge] = []
    var flow = Flow(nodes: [], edges: [])
    var options = RunOptions()
    var runID: String?
    var quotaKey: String?
  }

  func flow(_ scanner: inout JSONScanner) throws -> (flow: Flow, options: RunOptions) {
    try requireObject(&scanner)
    var reading = Reading()
    var object = try scanner.enterObject()
    while let key = (try scanner.nextMember(in: &object)) {
      try member(key, &scanner, into: &reading)
    }
    return try finish(reading)
  }

  /// Refuses params that are not an object: an array is counted as positional values.
  func requireObject(_ scanner: inout JSONScanner) throws {
    guard case .object? = scanner.peekKind() else {
      if case .array? = scanner.peekKind() {
        var count = 0
        var array = try scanner.enterArray()
        while try scanner.nextElement(in: &array) {
          count += 1
          try scanner.skipValue()
        }
        throw shape("\(path) takes at most 0 positional values, got \(count).")
      }
      throw shape("\(path) must be an object, not \(scanner.peekKind()?.typeName ?? "nothing").")
    }
  }

  /// Reads one member's value (the scanner stands at it) into `reading`.
  func member(_ key: String, _ scanner: inout JSONScanner, into reading: inout Reading) throws {
    switch key {
    case "nodes": reading.nodes = try nodes(&scanner)
    case "edges": reading.edges = try edges(&scanner)
    case "flow_id": reading.flow.flowID = try string(&scanner, "\(path).flow_id") ?? ""
    case "provider_id": reading.flow.providerID = try string(&scanner, "\(path).provider_id")
    case "trigger_node_id": reading.flow.triggerNodeID = try string(&scanner, "\(path).trigger_node_id")
    case "run_id":
      reading.runID = try string(&scanner, "\(path).run_id")
      if let runID = reading.runID, !RunOptions.isValidRunID(runID) {
        throw shape(
          "\(path).run_id must be 1 to 128 characters of letters, digits, '.', '_', ':' and '-'.")
      }
    case "quota_key":
      reading.quotaKey = try string(&scanner, "\(path).quota_key")
      if let quotaKey = reading.quotaKey,
        !(1...256).contains(quotaKey.utf8.count) || quotaKey.unicodeScalars.contains(where: { $0.value < 0x20 })
      {
        throw shape("\(path).quota_key must be 1 to 256 characters without control characters.")
      }
    case "cached_outputs":
      let value = try scanner.readValue()
      reading.flow.cachedOutputs = try cachedOutputs(value)
    case "options":
      switch try scanner.readValue() {
      case .null: break
      case .object(let fields):
        reading.options = try FlowParams.options(ParamsReader(object: fields, path: "\(path).options"))
      case let other: throw shape("\(path).options must be an object, not \(other.typeName).")
      }
    default:
      try scanner.skipValue()
    }
  }

  /// The flow and options once every member is read.
  func finish(_ reading: Reading) throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    guard let nodes = reading.nodes else { throw shape("\(path).nodes is required.") }
    var flow = reading.flow
    flow.nodes = nodes
    flow.edges = reading.edges
    var options = reading.options
    options.runID = reading.runID
    options.quotaKey = reading.quotaKey
    return (flow, options)
  }

  /// The `nodes` member's value.
  func nodes(_ scanner: inout JSONScanner) throws -> [FlowNode]? {
    try list(&scanner, key: "nodes") { scanner, element throws in try node(&scanner, element) }.elements
  }

  /// The first nodes of the `nodes` member's value, up to the one that ends exactly at offset
  /// `cut` (`stopped`); all of them when none ends there.
  func nodes(_ scanner: inout JSONScanner, stoppingAt cut: Int) throws -> (nodes: [FlowNode]?, stopped: Bool) {
    let read = try list(&scanner, key: "nodes", stoppingAt: cut) { scanner, element throws in try node(&scanner, element) }
    return (read.elements, read.stopped)
  }

  /// The nodes from the scanner (standing at a node that follows `before` others in the list)
  /// to the end of the list.
  func nodes(_ scanner: inout JSONScanner, after before: Int) throws -> [FlowNode] {
    var nodes: [FlowNode] = []
    nodes.reserveCapacity(min(scanner.remainingByteCount / Self.smallElementBytes, Self.maximumReserved))
    var array = JSONScanner.Container.afterAnElement
    var index = before
    repeat {
      nodes.append(try node(&scanner, ElementPath(base: path, list: "nodes", index: index)))
      index += 1
    } while try scanner.nextElement(in: &array)
    return nodes
  }

  /// The `edges` member's value (null or absent: none).
  func edges(_ scanner: inout JSONScanner) throws -> [FlowEdge] {
    try list(&scanner, key: "edges") { scanner, element throws in try edge(&scanner, element) }.elements ?? []
  }

  /// Reads `nodes` or `edges`: null counts as absent (an empty list), anything else but an
  /// array is a shape error.
  /// With `cut`, the reading stops (`stopped`) when an element ends exactly at that offset.
  private func list<Element>(
    _ scanner: inout JSONScanner, key: String, stoppingAt cut: Int? = nil,
    element read: (inout JSONScanner, ElementPath) throws -> Element
  ) throws -> (elements: [Element]?, stopped: Bool) {
    switch scanner.peekKind() {
    case .array?: break
    case .null?:
      try scanner.skipValue()
      return (key == "nodes" ? nil : [], false)
    case let other:
      throw shape("\(path).\(key) must be an array, not \(other?.typeName ?? "nothing").")
    }
    var elements: [Element] = []
    // Room for as many elements as the bytes could hold at a modest size each: the list is
    // built without copies as it grows, and untouched room costs address space only.
    elements.reserveCapacity(min(scanner.remainingByteCount / Self.smallElementBytes, Self.maximumReserved))
    var array = try scanner.enterArray()
    var index = 0
    while try scanner.nextElement(in: &array) {
      elements.append(try read(&scanner, ElementPath(base: path, list: key, index: index)))
      index += 1
      if scanner.index == cut { return (elements, true) }
    }
    return (elements, false)
  }

  /// Few nodes or edges an editor saves are smaller than this.
  static let smallElementBytes = 48
  static let maximumReserved = 1 << 18

  private static let nodeMembers: [StaticString] = ["id", "type", "data"]
  private static let edgeMembers: [StaticString] = ["id", "source", "target", "sourceHandle", "targetHandle"]

  private func node(_ scanner: inout JSONScanner, _ element: ElementPath) throws -> FlowNode {
    var id: String?
    var type: String?
    var data: JSONObject = [:]
    try object(&scanner, element, among: Self.nodeMembers) { member, scanner throws in
      switch member {
      case 0: id = try string(&scanner, element.member("id"))
      case 1: type = try string(&scanner, element.member("type"))
      case 2:
        switch try scanner.readValue() {
        case .object(let object): data = object
        case .null: data = [:]
        case let other: throw shape("\(element.member("data")) must be an object, not \(other.typeName).")
        }
      default: try scanner.skipValue()
      }
    }
    guard let id else { throw shape("\(element.member("id")) is required.") }
    guard let type else { throw shape("\(element.member("type")) is required.") }
    return FlowNode(id: id, type: type, data: data)
  }

  private func edge(_ scanner: inout JSONScanner, _ element: ElementPath) throws -> FlowEdge {
    var id: String?
    var source: String?
    var target: String?
    var sourceHandle: String?
    var targetHandle: String?
    try object(&scanner, element, among: Self.edgeMembers) { member, scanner throws in
      switch member {
      case 0: id = try string(&scanner, element.member("id"))
      case 1: source = try string(&scanner, element.member("source"))
      case 2: target = try string(&scanner, element.member("target"))
      case 3: sourceHandle = try string(&scanner, element.member("sourceHandle"))
      case 4: targetHandle = try string(&scanner, element.member("targetHandle"))
      default: try scanner.skipValue()
      }
    }
    guard let source else { throw shape("\(element.member("source")) is required.") }
    guard let target else { throw shape("\(element.member("target")) is required.") }
    return FlowEdge(id: id, source: source, target: target, sourceHandle: sourceHandle, targetHandle: targetHandle)
  }

  /// Walks one element object, handing each member to `member` by its position in `names`
  /// (`-1` for any other name).
  private func object(
    _ scanner: inout JSONScanner, _ element: ElementPath, among names: [StaticString],
    member: (Int, inout JSONScanner) throws -> Void
  ) throws {
    guard case .object? = scanner.peekKind() else {
      throw shape("\(element.path) must be an object, not \(scanner.peekKind()?.typeName ?? "nothing").")
    }
    var object = try scanner.enterObject()
    while let found = (try scanner.nextMember(in: &object, among: names)) {
      try member(found, &scanner)
    }
  }

  /// An optional string member: null counts as absent.
  private func string(_ scanner: inout JSONScanner, _ path: @autoclosure () -> String) throws -> String? {
    switch scanner.peekKind() {
    case .string?: return try scanner.readStringValue()
    case .null?:
      try scanner.skipValue()
      return nil
    case let other: throw shape("\(path()) must be a string, not \(other?.typeName ?? "nothing").")
    }
  }

  private func cachedOutputs(_ value: JSONValue) throws -> [String: NodeOutput] {
    switch value {
    case .null: return [:]
    case .object(let object):
      var outputs: [String: NodeOutput] = [:]
      for (key, output) in object.members {
        guard case .object(let fields) = output else {
          throw shape("\(path).cached_outputs.\(key) must be an object (a node output), not \(output.typeName).")
        }
        outputs[key] = NodeOutputWire.decode(fields)
      }
      return outputs
    default:
      throw shape("\(path).cached_outputs must be an object, not \(value.typeName).")
    }
  }

  private func shape(_ message: String) -> ResponseError { .invalidParams(message) }
}

/// Where a list element stands, for messages.
private struct ElementPath {
  let base: String
  let list: String
  let index: Int

  var path: String { "\(base).\(list)[\(index)]" }

  func member(_ key: String) -> String { "\(path).\(key)" }
}

/// A flow file as `flowrunner run` and `flowrunner validate` read it: the `execution.start`
/// params as one JSON document.
public enum FlowDocument {
  /// Decodes a flow file's bytes; `path` names the document in messages (`flow.nodes[3].id …`).
  /// Bytes that are not JSON throw the parser's error.
  public static func decode(_ bytes: [UInt8], path: String = "flow") throws -> (flow: Flow, options: RunOptions) {
    // The grammar first, so a broken file gets the parser's own error with its position.
    try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
      var scanner = JSONScanner(buffer)
      try scanner.skipValue()
      try scanner.expectEnd()
    }
    return try FlowParams.decode(RawJSON(bytes: bytes, range: 0..<bytes.count), path: path)
  }

  /// Decodes `execution.start` params as a connection hands them over: checked already, or
  /// (for a large request) left for the decoder to check as it reads them.
  public static func decode(params raw: RawJSON) throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    try FlowParams.decode(raw)
  }

  /// ``decode(params:)`` as the server reads large params: when the transport noted where
  /// `nodes` and `edges` lie, they are read on two tasks, with the same outcome.
  public static func decodeConcurrently(params raw: RawJSON) async throws(ResponseError) -> (
    flow: Flow, options: RunOptions
  ) {
    try await FlowParams.decodeConcurrently(raw)
  }

  /// Checks options set on the command line exactly as the file's would be.
  public static func options(_ object: JSONObject, path: String) throws(ResponseError) -> RunOptions {
    try FlowParams.options(ParamsReader(object: object, path: path))
  }
}
