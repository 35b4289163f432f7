import JSON

/// Validates a flow completely, reporting every issue rather than the first, and, when it has
/// no errors, plans the run.
public struct FlowValidation: Sendable {
  /// The indexed flow.
  public let index: GraphIndex
  /// Every issue found: the flow's provider; per node in node order; per edge in edge order;
  /// cycles; the trigger.
  public let issues: [ValidationIssue]
  /// The run plan; `nil` when the flow has errors.
  public let plan: ExecutionPlan?

  /// Whether the flow can run: it has no issue of severity `error`.
  public var isValid: Bool { plan != nil }

  /// The issues that block the run.
  public var errors: [ValidationIssue] { issues.filter { $0.severity == .error } }

  /// `data` keys editors keep on nodes for themselves; they draw no `unknown_data_field` warning.
  public static let editorDataKeys: Set = ["label", "title", "color", "collapsed", "comment", "icon"]

  /// Validates `flow` against `catalog`; `knownProviders` are the provider ids `provider_id`
  /// and `data.providerId` may name.
  public init(_ flow: Flow, catalog: NodeCatalog, knownProviders: [String]) {
    let ids = NodeIDTable(flow.nodes.map(\.id))
    self.init(
      flow, catalog: catalog, knownProviders: knownProviders,
      nodes: Self.nodeChecks(flow, ids: ids, catalog: catalog, knownProviders: knownProviders),
      structure: Structure(flow, ids: ids, catalog: catalog))
  }

  /// Flows with at least this many nodes are validated on two tasks.
  public static let concurrentNodeCount = 1_000

  /// Like ``init(_:catalog:knownProviders:)``, but a flow of at least `minimumNodes` nodes has
  /// its nodes checked one by one on one task while its edges are indexed, ordered and checked
  /// on another. The issues and the plan are the same, in the same order.
  public static func concurrently(
    _ flow: Flow, catalog: NodeCatalog, knownProviders: [String], minimumNodes: Int = concurrentNodeCount
  ) async -> FlowValidation {
    guard flow.nodes.count >= minimumNodes else {
      return FlowValidation(flow, catalog: catalog, knownProviders: knownProviders)
    }
    let ids = NodeIDTable(flow.nodes.map(\.id))
    async let nodes = nodeChecks(flow, ids: ids, catalog: catalog, knownProviders: knownProviders)
    let structure = Structure(flow, ids: ids, catalog: catalog)
    return FlowValidation(
      flow, catalog: catalog, knownProviders: knownProviders, nodes: await nodes, structure: structure)
  }

  /// What each node's own checks found: its issues, one node after another.
  struct NodeChecks: Sendable {
    var issues: [ValidationIssue] = []
    /// Where each node's issues end in `issues`.
    var ends: [Int]
  }

  /// The edges indexed, checked and ordered, and each node's missing inputs.
  struct Structure: Sendable {
    let index: GraphIndex
    let order: [Int]
    let cycles: [[Int]]
    /// Each node's missing inputs, one node after another.
    var missingInputs: [ValidationIssue] = []
    /// Where each node's missing inputs end in `missingInputs`.
    var missingEnds: [Int] = []
    /// The edges' issues, in edge order.
    var edgeIssues: [ValidationIssue] = []

    init(_ flow: Flow, ids: NodeIDTable, catalog: NodeCatalog) {
      index = GraphIndex(flow, nodeIndex: ids)
      let (order, leftover) = TopologicalOrder.sort(index)
      self.order = order
      cycles = TopologicalOrder.cycles(index, leftover: leftover)
      // Each node's place in the catalog as its own checks find it (-1 for an unknown type or
      // a repeated id), worked out here too so this task need not wait for those checks.
      let nodes = flow.nodes
      let kinds = nodes.indices.map { position in
        ids[nodes[position].id] == position ? catalog.position(of: nodes[position].type) ?? -1 : -1
      }
      let descriptors = catalog.descriptors
      missingEnds.reserveCapacity(nodes.count)
      for position in nodes.indices {
        let kind = kinds[position]
        if kind >= 0, !descriptors[kind].requiredInputs.isEmpty {
          missingInputs += FlowValidation.missingInputs(index: index, node: position, descriptor: descriptors[kind])
        }
        missingEnds.append(missingInputs.count)
      }
      edgeIssues = FlowValidation.edgeIssues(index, catalog: catalog, kinds: kinds)
    }
  }

  /// Each node on its own: a repeated id, an unknown type, its data.
  static func nodeChecks(_ flow: Flow, ids: NodeIDTable, catalog: NodeCatalog, knownProviders: [String]) -> NodeChecks {
    var checks = NodeChecks(ends: [])
    checks.ends.reserveCapacity(flow.nodes.count)
    // Nodes and descriptors are read in place, not copied whole for each node.
    let nodes = flow.nodes
    let descriptors = catalog.descriptors
    for position in nodes.indices {
      defer { checks.ends.append(checks.issues.count) }
      // The table keeps the first node of each id: any other with that id is a duplicate.
      guard ids[nodes[position].id] == position else {
        let id = nodes[position].id
        checks.issues.append(
          ValidationIssue(.duplicateNodeID, "Node id '\(id)' is used by more than one node.", nodeID: id))
        continue
      }
      guard let kind = catalog.position(of: nodes[position].type) else {
        let node = nodes[position]
        checks.issues.append(
          ValidationIssue(
            .unknownNodeType,
            "Node '\(node.id)' has the unknown type '\(node.type)'\(Suggestion.ending(for: node.type, in: catalog.typeNames))",
            nodeID: node.id))
        continue
      }
      dataIssues(nodes[position], descriptor: descriptors[kind], knownProviders: knownProviders, into: &checks.issues)
    }
    return checks
  }

  private init(
    _ flow: Flow, catalog: NodeCatalog, knownProviders: [String], nodes checks: NodeChecks, structure: Structure
  ) {
    let index = structure.index
    var issues: [ValidationIssue] = []
    if let provider = flow.providerID, !knownProviders.contains(provider) {
      issues.append(
        ValidationIssue(
          .unknownProvider,
          "The flow's provider_id '\(provider)' names no known provider (known: \(knownProviders.joined(separator: ", ")))\(Suggestion.ending(for: provider, in: knownProviders))"
        ))
    }
    var start = 0
    var missingStart = 0
    for position in flow.nodes.indices {
      issues += checks.issues[start..<checks.ends[position]]
      start = checks.ends[position]
      issues += structure.missingInputs[missingStart..<structure.missingEnds[position]]
      missingStart = structure.missingEnds[position]
    }
    issues += structure.edgeIssues
    for cycle in structure.cycles {
      let path = cycle.map { flow.nodes[$0].id }
      let around = (path + path.prefix(1)).joined(separator: " → ")
      issues.append(ValidationIssue(.cycle, "The flow has a cycle: \(around).", path: path))
    }
    if let trigger = flow.triggerNodeID, index.nodeIndex[trigger] == nil {
      issues.append(
        ValidationIssue(
          .unknownTriggerNode,
          "trigger_node_id '\(trigger)' names no node of the flow\(Suggestion.ending(for: trigger, in: flow.nodes.map(\.id)))",
          nodeID: trigger))
    }
    self.index = index
    self.issues = issues
    self.plan = issues.contains { $0.severity == .error } ? nil : ExecutionPlan(index: index, order: structure.order)
  }

  private static func dataIssues(
    _ node: FlowNode, descriptor: NodeTypeDescriptor, knownProviders: [String], into issues: inout [ValidationIssue]
  ) {
    for problem in descriptor.validateData(node.data, descriptor.dataFields) {
      issues.append(
        ValidationIssue(
          .invalidData, "Node '\(node.id)' (\(node.type)): \(problem)\(problem.hasSuffix("?") ? "" : ".")",
          nodeID: node.id))
    }
    if case .string(let provider)? = node.data["providerId"], !provider.isEmpty, !knownProviders.contains(provider) {
      issues.append(
        ValidationIssue(
          .unknownProvider,
          "Node '\(node.id)' names the unknown provider '\(provider)' in data.providerId\(Suggestion.ending(for: provider, in: knownProviders))",
          nodeID: node.id))
    }
    if !descriptor.acceptsExtraFields, !node.data.isEmpty {
      node.data.forEachMember { key, _ in
        guard !descriptor.dataFields.contains(where: { $0.name == key }), !editorDataKeys.contains(key) else { return }
        let known = descriptor.dataFields.map(\.name)
        issues.append(
          ValidationIssue(
            .unknownDataField,
            "Node '\(node.id)' (\(node.type)) has data.\(key), which \(node.type) does not use\(Suggestion.ending(for: key, in: known))",
            nodeID: node.id))
      }
    }
  }

  static func missingInputs(index: GraphIndex, node: Int, descriptor: NodeTypeDescriptor) -> [ValidationIssue] {
    guard !descriptor.requiredInputs.isEmpty else { return [] }
    var present: UInt8 = 0
    for edge in index.incoming[node] { present |= index.edgeClasses[edge].bit }
    guard descriptor.requiredInputs.contains(where: { present & $0.bit == 0 }) else { return [] }
    let flowNode = index.flow.nodes[node]
    var issues: [ValidationIssue] = []
    for required in descriptor.requiredInputs where present & required.bit == 0 {
      if let field = descriptor.inputAlternatives[required] {
        guard flowNode.data[field] == nil || flowNode.data[field]?.isNull == true else { continue }
        issues.append(
          ValidationIssue(
            .missingInput,
            "Node '\(flowNode.id)' (\(flowNode.type)) needs \(required.article) input edge or data.\(field) and has neither.",
            nodeID: flowNode.id))
      } else {
        issues.append(
          ValidationIssue(
            .missingInput, "Node '\(flowNode.id)' (\(flowNode.type)) needs \(required.article) input edge and has none.",
            nodeID: flowNode.id))
      }
    }
    return issues
  }

  static func edgeIssues(_ index: GraphIndex, catalog: NodeCatalog, kinds: [Int]) -> [ValidationIssue] {
    let flow = index.flow
    var issues: [ValidationIssue] = []
    // An edge id is repeated when the first edge with that id is an earlier one.
    let firstEdgeWithID = NodeIDTable(flow.edges.compactMap(\.id))
    var withID = 0
    var duplicates = index.duplicateEdges[...]
    for (position, edge) in flow.edges.enumerated() {
      if let id = edge.id {
        if firstEdgeWithID[id] != withID {
          issues.append(ValidationIssue(.duplicateEdgeID, "Edge id '\(id)' is used by more than one edge.", edgeID: id))
        }
        withID += 1
      }
      let source = index.edgeSource[position]
      let target = index.edgeTarget[position]
      if source < 0 || target < 0 {
        let missing = [source < 0 ? edge.source : nil, target < 0 ? edge.target : nil].compactMap { $0 }
        let present = source >= 0 ? edge.source : (target >= 0 ? edge.target : nil)
        let names = missing.map { "'\($0)'" }
        issues.append(
          ValidationIssue(
            .danglingEdge,
            "Edge '\(edge.label)' refers to the missing node\(missing.count > 1 ? "s" : "") \(names.joined(separator: " and "))\(Suggestion.ending(for: missing[0], in: flow.nodes.map(\.id)))",
            nodeID: present, edgeID: edge.label))
        continue
      }
      if source == target {
        issues.append(
          ValidationIssue(
            .selfLoop, "Edge '\(edge.label)' connects node '\(edge.source)' to itself.", nodeID: edge.source,
            edgeID: edge.label))
        continue
      }
      if let duplicate = duplicates.first, duplicate.edge == position {
        duplicates.removeFirst()
        issues.append(
          ValidationIssue(
            .duplicateEdge,
            "Edge '\(edge.label)' repeats edge '\(flow.edges[duplicate.of].label)' (same nodes and handles); its input is carried once.",
            edgeID: edge.label))
      }
      if !index.handleKnown[position], let handle = edge.targetHandle {
        issues.append(
          ValidationIssue(
            .unknownHandle,
            "Edge '\(edge.label)' has the target handle '\(handle)', which starts with none of text, adapter, image; it is treated as a text edge.",
            edgeID: edge.label))
      }
      let sourceKind = kinds[source]
      let targetKind = kinds[target]
      guard sourceKind >= 0, targetKind >= 0 else { continue }
      let edgeClass = index.edgeClasses[position]
      let fromSource = catalog.outputBits[sourceKind] & edgeClass.bit != 0
      let intoTarget = catalog.inputBits[targetKind] & edgeClass.bit != 0
      if fromSource && intoTarget { continue }
      let sourceType = catalog.descriptors[sourceKind]
      let targetType = catalog.descriptors[targetKind]
      if !fromSource {
        let outputs = sourceType.output.map(\.rawValue).joined(separator: " and ")
        issues.append(
          ValidationIssue(
            .incompatibleEdge,
            "Edge '\(edge.label)' is \(edgeClass.article) edge, but its source '\(edge.source)' (\(sourceType.type)) outputs \(outputs) only\(edgeClass.fix(for: sourceType)).",
            nodeID: edge.source, edgeID: edge.label))
      } else {
        let inputs =
          targetType.inputs.isEmpty ? "no inputs" : targetType.inputs.map(\.rawValue).joined(separator: " and ") + " inputs only"
        issues.append(
          ValidationIssue(
            .incompatibleEdge,
            "Edge '\(edge.label)' is \(edgeClass.article) edge, but its target '\(edge.target)' (\(targetType.type)) takes \(inputs).",
            nodeID: edge.target, edgeID: edge.label))
      }
    }
    return issues
  }
}

extension EdgeClass {
  fileprivate var article: String {
    switch self {
    case .text: "a text"
    case .adapter: "an adapter (personas)"
    case .image: "an image"
    }
  }

  /// A hint for an edge whose source outputs something else: the handle that would carry it.
  fileprivate func fix(for source: NodeTypeDescriptor) -> String {
    if source.output.contains(.personas), self != .adapter {
      return "; connect it to an adapter handle (targetHandle \"adapter\") to carry personas"
    }
    if source.output.contains(.image), self != .image {
      return "; connect it to an image handle (targetHandle \"image\") to carry the image"
    }
    if source.output.contains(.text), self != .text {
      return "; connect it to a text handle to carry text"
    }
    return ""
  }
}
