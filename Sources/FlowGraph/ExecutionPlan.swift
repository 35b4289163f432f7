/// Which nodes a run executes, in what order, and which upstream outputs it reuses.
public struct ExecutionPlan: Sendable {
  /// Node indices to execute, in topological order.
  public let nodes: [Int]
  /// Upstream node indices whose `cached_outputs` are used instead of running them.
  public let reused: [Int]
  /// `nodes` grouped by level (reported by `flow.validate`; execution is dependency-driven).
  public let levels: [[Int]]

  /// The plan for a validated flow: every node, or with a trigger the trigger, everything
  /// downstream of it, and every upstream node that feeds that set and has no cached output
  /// (recursively); upstream nodes with a cached output are reused.
  public init(index: GraphIndex, order: [Int]) {
    let flow = index.flow
    guard let trigger = flow.triggerNodeID.flatMap({ index.nodeIndex[$0] }) else {
      nodes = order
      reused = []
      levels = TopologicalOrder.levels(index, nodes: order)
      return
    }
    var executes = [Bool](repeating: false, count: index.count)
    var reuses = [Bool](repeating: false, count: index.count)
    var work = [trigger] + index.downstream(of: trigger)
    for node in work { executes[node] = true }
    while let node = work.popLast() {
      for edge in index.incoming[node] {
        let source = index.edgeSource[edge]
        guard !executes[source], !reuses[source] else { continue }
        if flow.cachedOutputs[flow.nodes[source].id] != nil {
          reuses[source] = true
        } else {
          executes[source] = true
          work.append(source)
        }
      }
    }
    nodes = order.filter { executes[$0] }
    reused = order.filter { reuses[$0] }
    levels = TopologicalOrder.levels(index, nodes: nodes)
  }
}
