import FlowExecution
import FlowGraph
import JSON
import JSONRPC

/// The flow as `execution.start` and `flow.validate` send it (and as `flowrunner run` reads
/// it from a file): `nodes`, `edges`, `flow_id`, `provider_id`, `trigger_node_id`,
/// `cached_outputs`, and `options`.
enum FlowParams {
  /// Decodes the flow. Shape problems (a missing `nodes`, a node without an `id`) are `-32602`
  /// naming the field; everything about the graph itself is left to validation, which reports
  /// every issue at once.
  static func flow(_ reader: ParamsReader) throws(ResponseError) -> Flow {
    let nodeValues = try reader.requiredArray("nodes")
    let edgeValues = try reader.array("edges") ?? []
    var nodes: [FlowNode] = []
    nodes.reserveCapacity(nodeValues.count)
    for (index, value) in nodeValues.enumerated() {
      let element = try Element(value, list: reader.path(of: "nodes"), index: index)
      let data: JSONObject
      switch element.object["data"] {
      case nil, .null?: data = [:]
      case .object(let value)?: data = value
      case let other?: throw .invalidParams("\(element.path).data must be an object, not \(other.typeName).")
      }
      nodes.append(FlowNode(id: try element.requiredString("id"), type: try element.requiredString("type"), data: data))
    }
    var edges: [FlowEdge] = []
    edges.reserveCapacity(edgeValues.count)
    for (index, value) in edgeValues.enumerated() {
      let element = try Element(value, list: reader.path(of: "edges"), index: index)
      edges.append(
        FlowEdge(
          id: try element.string("id"), source: try element.requiredString("source"),
          target: try element.requiredString("target"), sourceHandle: try element.string("sourceHandle"),
          targetHandle: try element.string("targetHandle")))
    }
    var cached: [String: NodeOutput] = [:]
    if let cachedReader = try reader.object("cached_outputs") {
      for (key, value) in cachedReader.object.members {
        guard case .object(let output) = value else {
          throw .invalidParams("\(cachedReader.path(of: key)) must be an object (a node output), not \(value.typeName).")
        }
        cached[key] = NodeOutputWire.decode(output)
      }
    }
    return Flow(
      flowID: try reader.string("flow_id") ?? "", nodes: nodes, edges: edges, providerID: try reader.string("provider_id"),
      triggerNodeID: try reader.string("trigger_node_id"), cachedOutputs: cached)
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
    return options
  }

  /// One element of `nodes` or `edges`: an object whose members are named by their path
  /// (`params.nodes[3].id`) only when a message needs it.
  private struct Element {
    let object: JSONObject
    let list: String
    let index: Int

    init(_ value: JSONValue, list: String, index: Int) throws(ResponseError) {
      guard case .object(let object) = value else {
        throw .invalidParams("\(list)[\(index)] must be an object, not \(value.typeName).")
      }
      self.object = object
      self.list = list
      self.index = index
    }

    var path: String { "\(list)[\(index)]" }

    func string(_ key: String) throws(ResponseError) -> String? {
      switch object[key] {
      case .string(let value)?: return value
      case nil, .null?: return nil
      case let other?: throw .invalidParams("\(path).\(key) must be a string, not \(other.typeName).")
      }
    }

    func requiredString(_ key: String) throws(ResponseError) -> String {
      guard let value = try string(key) else { throw .invalidParams("\(path).\(key) is required.") }
      return value
    }
  }
}

/// A flow file as `flowrunner run` and `flowrunner validate` read it: the `execution.start`
/// params as one JSON document.
public enum FlowDocument {
  /// Decodes a parsed flow file; `path` names the document in messages (`flow.nodes[3].id …`).
  public static func decode(_ json: JSONValue, path: String = "flow") throws(ResponseError) -> (
    flow: Flow, options: RunOptions
  ) {
    let reader = try ParamsReader(json, path: path)
    let options = try FlowParams.options(reader.object("options"))
    return (try FlowParams.flow(reader), options)
  }

  /// Checks options set on the command line exactly as the file's would be.
  public static func options(_ object: JSONObject, path: String) throws(ResponseError) -> RunOptions {
    try FlowParams.options(ParamsReader(object: object, path: path))
  }
}
