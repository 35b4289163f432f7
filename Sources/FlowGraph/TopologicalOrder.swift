/// Kahn's topological sort over a ``GraphIndex``, with level grouping and cycle extraction.
public enum TopologicalOrder {
  /// The nodes in a topological order (ties broken by node order), and the nodes left over
  /// because they are on or behind a cycle.
  public static func sort(_ index: GraphIndex) -> (order: [Int], leftover: [Int]) {
    var indegree = (0..<index.count).map(index.incoming.degree)
    var order: [Int] = []
    order.reserveCapacity(index.count)
    for node in 0..<index.count where indegree[node] == 0 { order.append(node) }
    var head = 0
    while head < order.count {
      let node = order[head]
      head += 1
      for edge in index.outgoing[node] {
        let target = index.edgeTarget[edge]
        indegree[target] -= 1
        if indegree[target] == 0 { order.append(target) }
      }
    }
    let leftover = (0..<index.count).filter { indegree[$0] > 0 }
    return (order, leftover)
  }

  /// Groups `nodes` (a topological order of a sub-graph) by longest distance from the
  /// sub-graph's sources; predecessors outside `nodes` count as already done.
  public static func levels(_ index: GraphIndex, nodes: [Int]) -> [[Int]] {
    var level = [Int](repeating: -1, count: index.count)
    var groups: [[Int]] = []
    for node in nodes { level[node] = 0 }
    for node in nodes {
      var mine = 0
      for edge in index.incoming[node] {
        let source = index.edgeSource[edge]
        if level[source] >= 0 { mine = max(mine, level[source] + 1) }
      }
      level[node] = mine
      while groups.count <= mine { groups.append([]) }
      groups[mine].append(node)
    }
    return groups
  }

  /// One cycle in each strongly connected group of the left-over nodes: the node indices in
  /// order along the cycle, first not repeated.
  public static func cycles(_ index: GraphIndex, leftover: [Int]) -> [[Int]] {
    var inLeftover = [Bool](repeating: false, count: index.count)
    for node in leftover { inLeftover[node] = true }
    var cycles: [[Int]] = []
    for component in stronglyConnectedComponents(index, nodes: leftover, inSet: inLeftover) where component.count > 1 {
      var inComponent = [Bool](repeating: false, count: index.count)
      for node in component { inComponent[node] = true }
      guard let start = component.min(), let found = cycle(index, from: start, within: inComponent) else { continue }
      cycles.append(found)
    }
    return cycles.sorted { $0[0] < $1[0] }
  }

  /// Walks from `start` inside one strongly connected component until a node repeats; the
  /// repeated stretch is a cycle. Rotated so it starts at its earliest node.
  /// Every node of a strongly connected component of two or more nodes has an edge to another
  /// node of it, so the walk always finds one; `nil` only if that did not hold.
  private static func cycle(_ index: GraphIndex, from start: Int, within component: [Bool]) -> [Int]? {
    var position: [Int: Int] = [:]
    var walk: [Int] = []
    var node = start
    while position[node] == nil {
      position[node] = walk.count
      walk.append(node)
      guard let next = index.outgoing[node].lazy.map({ index.edgeTarget[$0] }).first(where: { component[$0] }) else {
        return nil
      }
      node = next
    }
    guard let repeated = position[node] else { return nil }
    let loop = Array(walk[repeated...])
    guard let earliest = loop.min(), let first = loop.firstIndex(of: earliest) else { return nil }
    return Array(loop[first...] + loop[..<first])
  }

  /// Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
  private static func stronglyConnectedComponents(_ index: GraphIndex, nodes: [Int], inSet: [Bool]) -> [[Int]] {
    var indexOf = [Int](repeating: -1, count: index.count)
    var lowLink = [Int](repeating: 0, count: index.count)
    var onStack = [Bool](repeating: false, count: index.count)
    var stack: [Int] = []
    var components: [[Int]] = []
    var counter = 0
    for root in nodes where indexOf[root] < 0 {
      var work: [(node: Int, edge: Int)] = [(root, 0)]
      indexOf[root] = counter
      lowLink[root] = counter
      counter += 1
      stack.append(root)
      onStack[root] = true
      while let (node, edgePosition) = work.last {
        let edges = index.outgoing[node]
        if edgePosition < edges.count {
          work[work.count - 1].edge += 1
          let target = index.edgeTarget[edges[edges.startIndex + edgePosition]]
          guard inSet[target] else { continue }
          if indexOf[target] < 0 {
            indexOf[target] = counter
            lowLink[target] = counter
            counter += 1
            stack.append(target)
            onStack[target] = true
            work.append((target, 0))
          } else if onStack[target] {
            lowLink[node] = min(lowLink[node], indexOf[target])
          }
        } else {
          work.removeLast()
          if let parent = work.last { lowLink[parent.node] = min(lowLink[parent.node], lowLink[node]) }
          if lowLink[node] == indexOf[node] {
            var component: [Int] = []
            while true {
              let member = stack.removeLast()
              onStack[member] = false
              component.append(member)
              if member == node { break }
            }
            components.append(component)
          }
        }
      }
    }
    return components
  }
}
