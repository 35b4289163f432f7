import JSONRPC

/// Validates a flow completely, reporting every issue rather than the first, and, when it is
/// valid, plans the run.
public struct FlowValidation: Sendable {
  /// The indexed flow.
  public let index: GraphIndex
  /// Every issue found, node issues in node order, then edge issues, cycles and the trigger.
  public let issues: [ValidationIssue]
  /// The run plan; `nil` when the flow is invalid.
  public let plan: ExecutionPlan?

  /// Whether the flow can run.
  public var isValid: Bool { issues.isEmpty }

  /// Validates `flow`; `knownProviders` are the provider ids `provider_id` and `data.providerId` may name.
  public init(_ flow: Flow, knownProviders: Set<String>) {
    let index = GraphIndex(flow)
    var issues: [ValidationIssue] = []
    if let provider = flow.providerID, !knownProviders.contains(provider) {
      issues.append(
        ValidationIssue(
          .unknownProvider,
          "The flow's provider_id '\(provider)' names no known provider; use one of \(knownProviders.sorted().joined(separator: ", "))."
        )
      )
    }
    for (position, node) in flow.nodes.enumerated() {
      // The index keeps the first node of each id: any other with that id is a duplicate.
      guard index.nodeIndex[node.id] == position else {
        issues.append(ValidationIssue(.duplicateNodeID, "Node id '\(node.id)' is used by more than one node.", nodeID: node.id))
        continue
      }
      guard let descriptor = NodeCatalog.descriptor(for: node.type) else {
        issues.append(
          ValidationIssue(.unknownNodeType, "Node '\(node.id)' has the unknown type '\(node.type)'.", nodeID: node.id))
        continue
      }
      issues += NodeDataValidator.issues(for: node, descriptor: descriptor, knownProviders: knownProviders)
      issues += Self.missingInputs(index: index, node: position, descriptor: descriptor)
    }
    var seenEdgeIDs = Set<String>(minimumCapacity: flow.edges.count)
    for (position, edge) in flow.edges.enumerated() {
      if let id = edge.id, !seenEdgeIDs.insert(id).inserted {
        issues.append(ValidationIssue(.duplicateEdgeID, "Edge id '\(id)' is used by more than one edge.", edgeID: id))
      }
      let source = index.edgeSource[position]
      let target = index.edgeTarget[position]
      if source < 0 || target < 0 {
        let missing = [source < 0 ? edge.source : nil, target < 0 ? edge.target : nil].compactMap { $0 }
        let present = source >= 0 ? edge.source : (target >= 0 ? edge.target : nil)
        issues.append(
          ValidationIssue(
            .danglingEdge,
            "Edge '\(edge.label)' refers to the missing node\(missing.count > 1 ? "s" : "") \(missing.map { "'\($0)'" }.joined(separator: " and ")).",
            nodeID: present, edgeID: edge.id ?? edge.label))
      } else if source == target {
        issues.append(
          ValidationIssue(
            .selfLoop, "Edge '\(edge.label)' connects node '\(edge.source)' to itself.", nodeID: edge.source,
            edgeID: edge.id ?? edge.label))
      }
    }
    let (order, leftover) = TopologicalOrder.sort(index)
    for cycle in TopologicalOrder.cycles(index, leftover: leftover) {
      let path = cycle.map { flow.nodes[$0].id }
      issues.append(
        ValidationIssue(.cycle, "The flow has a cycle: \((path + [path[0]]).joined(separator: " → ")).", path: path))
    }
    if let trigger = flow.triggerNodeID, index.nodeIndex[trigger] == nil {
      issues.append(
        ValidationIssue(
          .unknownTriggerNode, "trigger_node_id '\(trigger)' names no node of the flow.", nodeID: trigger))
    }
    self.index = index
    self.issues = issues
    self.plan = issues.isEmpty ? ExecutionPlan(index: index, order: order) : nil
  }

  private static func missingInputs(index: GraphIndex, node: Int, descriptor: NodeTypeDescriptor) -> [ValidationIssue] {
    let flowNode = index.flow.nodes[node]
    guard !descriptor.requiredInputs.isEmpty || descriptor.type == "imageDescriber" else { return [] }
    var present: [EdgeClass] = []
    for edge in index.incoming[node] where !present.contains(index.flow.edges[edge].edgeClass) {
      present.append(index.flow.edges[edge].edgeClass)
    }
    var issues: [ValidationIssue] = []
    for required in descriptor.requiredInputs where !present.contains(required) {
      issues.append(
        ValidationIssue(
          .missingInput, "Node '\(flowNode.id)' (\(flowNode.type)) needs \(required.article) input edge and has none.",
          nodeID: flowNode.id))
    }
    if descriptor.type == "imageDescriber", !present.contains(.image), flowNode.data["image"] == nil {
      issues.append(
        ValidationIssue(
          .missingInput, "Node '\(flowNode.id)' (imageDescriber) needs an image edge or data.image and has neither.",
          nodeID: flowNode.id))
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
}

extension FlowValidation {
  /// The issues as `data.issues` / `issues` on the wire.
  public var issuesJSON: JSONValue { .array(issues.map(\.json)) }

  /// The `flow.validate` result.
  public var resultJSON: JSONValue {
    [
      "valid": .bool(isValid), "issues": issuesJSON,
      "plan": plan?.json(index) ?? ["node_ids": [], "levels": [], "reused_node_ids": []],
    ]
  }
}
