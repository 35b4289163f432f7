import JSON

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
    self = targetHandle.flatMap(Self.init(handlePrefixOf:)) ?? .text
  }

  /// The class a handle names by its prefix (`text…`, `adapter…`, `image…`), or `nil` when it
  /// names none (such an edge is treated as a text edge, with a warning). Compared as UTF-8
  /// bytes: it runs for every edge of every flow.
  public init?(handlePrefixOf handle: String) {
    var handle = handle
    let match = handle.withUTF8 { bytes -> EdgeClass? in
      func starts(with prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in
          bytes.count >= expected.count && zip(bytes, expected).allSatisfy { $0 == $1 }
        }
      }
      switch bytes.first {
      case UInt8(ascii: "t"): return starts(with: "text") ? .text : nil
      case UInt8(ascii: "a"): return starts(with: "adapter") ? .adapter : nil
      case UInt8(ascii: "i"): return starts(with: "image") ? .image : nil
      default: return nil
      }
    }
    guard let match else { return nil }
    self = match
  }

  /// This class as one bit of a set of classes.
  var bit: UInt8 {
    switch self {
    case .text: 1
    case .adapter: 2
    case .image: 4
    }
  }

  /// The output kind an edge of this class carries from its source.
  public var carries: OutputKind {
    switch self {
    case .text: .text
    case .adapter: .personas
    case .image: .image
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
  public var cachedOutputs: [String: NodeOutput]

  /// A flow with the given parts.
  public init(
    flowID: String = "", nodes: [FlowNode], edges: [FlowEdge], providerID: String? = nil, triggerNodeID: String? = nil,
    cachedOutputs: [String: NodeOutput] = [:]
  ) {
    self.flowID = flowID
    self.nodes = nodes
    self.edges = edges
    self.providerID = providerID
    self.triggerNodeID = triggerNodeID
    self.cachedOutputs = cachedOutputs
  }
}
