import JSONRPC

/// How an edge's payload is interpreted, decided by its `targetHandle` prefix.
public enum EdgeClass: String, Sendable, CaseIterable {
  /// Carries text (any handle not starting with `adapter` or `image`, `null` included).
  case text
  /// Carries personas (`adapter…`).
  case adapter
  /// Carries an image (`image…`).
  case image

  /// The class of an edge with this target handle.
  public init(targetHandle: String?) {
    guard let targetHandle else {
      self = .text
      return
    }
    if targetHandle.hasPrefix("adapter") {
      self = .adapter
    } else if targetHandle.hasPrefix("image") {
      self = .image
    } else {
      self = .text
    }
  }
}

/// A node as the editor saved it: `{id, type, data}`; other fields are ignored.
public struct FlowNode: Sendable, Hashable {
  /// The node's id, unique within the flow.
  public var id: String
  /// The node type (`initialPrompt`, `translator`, ...).
  public var type: String
  /// The client's fields (`camelCase`).
  public var data: JSONObject

  /// A node with an id, a type and data.
  public init(id: String, type: String, data: JSONObject = [:]) {
    self.id = id
    self.type = type
    self.data = data
  }
}

/// An edge as the editor saved it.
public struct FlowEdge: Sendable, Hashable {
  /// The edge's id, if it has one.
  public var id: String?
  /// The source node id.
  public var source: String
  /// The target node id.
  public var target: String
  /// The handle on the source node.
  public var sourceHandle: String?
  /// The handle on the target node; its prefix decides ``edgeClass``.
  public var targetHandle: String?

  /// An edge between two node ids.
  public init(id: String? = nil, source: String, target: String, sourceHandle: String? = nil, targetHandle: String? = nil) {
    self.id = id
    self.source = source
    self.target = target
    self.sourceHandle = sourceHandle
    self.targetHandle = targetHandle
  }

  /// What the edge carries.
  public var edgeClass: EdgeClass { EdgeClass(targetHandle: targetHandle) }

  /// How the edge is named in messages: its id, or `source→target`.
  public var label: String { id ?? "\(source)→\(target)" }
}

/// A flow to validate or run: the `execution.start` params without `options`.
public struct Flow: Sendable {
  /// The client's id for the flow (echoed in `execution.started`).
  public var flowID: String
  /// The nodes, in the order the editor saved them.
  public var nodes: [FlowNode]
  /// The edges, in order; this order decides how inputs are merged.
  public var edges: [FlowEdge]
  /// The flow-level provider.
  public var providerID: String?
  /// With a trigger, only it and what is downstream of it run.
  public var triggerNodeID: String?
  /// Outputs of upstream nodes to reuse in a partial run, by node id.
  public var cachedOutputs: [String: JSONValue]

  /// A flow with the given parts.
  public init(
    flowID: String = "", nodes: [FlowNode], edges: [FlowEdge], providerID: String? = nil, triggerNodeID: String? = nil,
    cachedOutputs: [String: JSONValue] = [:]
  ) {
    self.flowID = flowID
    self.nodes = nodes
    self.edges = edges
    self.providerID = providerID
    self.triggerNodeID = triggerNodeID
    self.cachedOutputs = cachedOutputs
  }
}

extension Flow {
  /// Decodes the `execution.start` / `flow.validate` params. Shape problems (a missing `nodes`,
  /// a node without an `id`) are `-32602` naming the field; everything about the graph itself is
  /// left to validation, which reports every issue at once.
  public init(reading reader: ParamsReader) throws(ResponseError) {
    let nodeValues = try reader.requiredArray("nodes")
    let edgeValues = try reader.array("edges") ?? []
    // Element paths ("params.nodes[3]") are only built for an error message.
    func path(_ list: String, _ index: Int) -> String { "\(reader.path(of: list))[\(index)]" }
    func string(_ object: JSONObject, _ key: String, list: String, index: Int, required: Bool) throws(ResponseError) -> String? {
      switch object[key] {
      case .string(let value)?: return value
      case nil, .null?:
        if required { throw .invalidParams("\(path(list, index)).\(key) is required.") }
        return nil
      case let other?: throw .invalidParams("\(path(list, index)).\(key) must be a string, not \(other.typeName).")
      }
    }
    var nodes: [FlowNode] = []
    nodes.reserveCapacity(nodeValues.count)
    for (index, value) in nodeValues.enumerated() {
      guard case .object(let object) = value else {
        throw .invalidParams("\(path("nodes", index)) must be an object, not \(value.typeName).")
      }
      let data: JSONObject
      switch object["data"] {
      case nil, .null?: data = [:]
      case .object(let value)?: data = value
      case let other?: throw .invalidParams("\(path("nodes", index)).data must be an object, not \(other.typeName).")
      }
      nodes.append(
        FlowNode(
          id: try string(object, "id", list: "nodes", index: index, required: true)!,
          type: try string(object, "type", list: "nodes", index: index, required: true)!, data: data))
    }
    var edges: [FlowEdge] = []
    edges.reserveCapacity(edgeValues.count)
    for (index, value) in edgeValues.enumerated() {
      guard case .object(let object) = value else {
        throw .invalidParams("\(path("edges", index)) must be an object, not \(value.typeName).")
      }
      edges.append(
        FlowEdge(
          id: try string(object, "id", list: "edges", index: index, required: false),
          source: try string(object, "source", list: "edges", index: index, required: true)!,
          target: try string(object, "target", list: "edges", index: index, required: true)!,
          sourceHandle: try string(object, "sourceHandle", list: "edges", index: index, required: false),
          targetHandle: try string(object, "targetHandle", list: "edges", index: index, required: false)))
    }
    var cached: [String: JSONValue] = [:]
    if let cachedReader = try reader.object("cached_outputs") {
      for (key, value) in cachedReader.object.members {
        guard case .object = value else {
          throw .invalidParams("\(cachedReader.path(of: key)) must be an object (a node output), not \(value.typeName).")
        }
        cached[key] = value
      }
    }
    self.init(
      flowID: try reader.string("flow_id") ?? "", nodes: nodes, edges: edges, providerID: try reader.string("provider_id"),
      triggerNodeID: try reader.string("trigger_node_id"), cachedOutputs: cached)
  }
}
