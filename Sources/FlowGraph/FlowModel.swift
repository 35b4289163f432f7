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
    var nodes: [FlowNode] = []
    nodes.reserveCapacity(nodeValues.count)
    for (index, value) in nodeValues.enumerated() {
      let path = "\(reader.path(of: "nodes"))[\(index)]"
      guard case .object(let object) = value else {
        throw .invalidParams("\(path) must be an object, not \(value.typeName).")
      }
      let node = ParamsReader(object: object, path: path)
      let data: JSONObject
      switch object["data"] {
      case nil, .null?: data = [:]
      case .object(let value)?: data = value
      case let other?: throw .invalidParams("\(path).data must be an object, not \(other.typeName).")
      }
      nodes.append(FlowNode(id: try node.requiredString("id"), type: try node.requiredString("type"), data: data))
    }
    var edges: [FlowEdge] = []
    edges.reserveCapacity(edgeValues.count)
    for (index, value) in edgeValues.enumerated() {
      let path = "\(reader.path(of: "edges"))[\(index)]"
      guard case .object(let object) = value else {
        throw .invalidParams("\(path) must be an object, not \(value.typeName).")
      }
      let edge = ParamsReader(object: object, path: path)
      edges.append(
        FlowEdge(
          id: try edge.string("id"), source: try edge.requiredString("source"), target: try edge.requiredString("target"),
          sourceHandle: try edge.string("sourceHandle"), targetHandle: try edge.string("targetHandle")))
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
