/// Edge lists of every node in one flat array (compressed sparse rows): `self[node]` is the
/// node's edge indices, in edge order, without an array per node.
public struct Adjacency: Sendable {
  private let offsets: [Int]
  private let edges: [Int]

  init(count: Int, pairs: [(node: Int, edge: Int)]) {
    var offsets = [Int](repeating: 0, count: count + 1)
    for pair in pairs { offsets[pair.node + 1] += 1 }
    for node in 0..<count { offsets[node + 1] += offsets[node] }
    var fill = offsets
    var edges = [Int](repeating: 0, count: pairs.count)
    for pair in pairs {
      edges[fill[pair.node]] = pair.edge
      fill[pair.node] += 1
    }
    self.offsets = offsets
    self.edges = edges
  }

  /// The edge indices of a node, in edge order.
  public subscript(node: Int) -> ArraySlice<Int> { edges[offsets[node]..<offsets[node + 1]] }

  /// The number of edges of a node.
  public func degree(_ node: Int) -> Int { offsets[node + 1] - offsets[node] }
}

/// Integer-indexed adjacency of a flow, built once and shared by validation, planning and the runner.
///
/// Only usable edges are indexed: both ends exist and differ, and an edge that repeats an
/// earlier one (same source, target and handles) is left out, so its input is carried once.
/// Incoming and outgoing lists keep the order of `flow.edges`, which is the order inputs are
/// merged in.
public struct GraphIndex: Sendable {
  /// The flow.
  public let flow: Flow
  /// Node index by id (first occurrence of a duplicated id).
  public let nodeIndex: NodeIDTable
  /// Usable edge indices into each node, in edge order.
  public let incoming: Adjacency
  /// Usable edge indices out of each node, in edge order.
  public let outgoing: Adjacency
  /// Each edge's source node index, or -1 when dangling.
  public let edgeSource: [Int]
  /// Each edge's target node index, or -1 when dangling.
  public let edgeTarget: [Int]
  /// Edges that repeat an earlier edge, each with the index of the edge it repeats.
  public let duplicateEdges: [(edge: Int, of: Int)]
  /// What each edge carries, from its `targetHandle`.
  public let edgeClasses: [EdgeClass]
  /// Whether each edge's `targetHandle` is absent or names its class (`false`: an unknown
  /// handle, treated as text).
  public let handleKnown: [Bool]

  /// Indexes a flow.
  public init(_ flow: Flow) {
    self.init(flow, nodeIndex: NodeIDTable(flow.nodes.map(\.id)))
  }

  /// Indexes a flow whose node ids are already in a table.
  init(_ flow: Flow, nodeIndex: NodeIDTable) {
    self.flow = flow
    var incoming: [(node: Int, edge: Int)] = []
    var outgoing: [(node: Int, edge: Int)] = []
    incoming.reserveCapacity(flow.edges.count)
    outgoing.reserveCapacity(flow.edges.count)
    var edgeSource = [Int](repeating: -1, count: flow.edges.count)
    var edgeTarget = [Int](repeating: -1, count: flow.edges.count)
    var edgeClasses = [EdgeClass](repeating: .text, count: flow.edges.count)
    var handleKnown = [Bool](repeating: true, count: flow.edges.count)
    // Fields are read in place: copying each edge whole costs more than the lookups.
    let edges = flow.edges
    for index in edges.indices {
      if let handle = edges[index].targetHandle {
        let named = EdgeClass(handlePrefixOf: handle)
        edgeClasses[index] = named ?? .text
        handleKnown[index] = named != nil
      }
      let source = nodeIndex[edges[index].source] ?? -1
      let target = nodeIndex[edges[index].target] ?? -1
      edgeSource[index] = source
      edgeTarget[index] = target
      guard source >= 0, target >= 0, source != target else { continue }
      outgoing.append((source, index))
      incoming.append((target, index))
    }
    var incomingAdjacency = Adjacency(count: flow.nodes.count, pairs: incoming)
    let duplicates = Self.duplicates(flow, incoming: incomingAdjacency, sources: edgeSource)
    if !duplicates.isEmpty {
      var repeated = [Bool](repeating: false, count: flow.edges.count)
      for duplicate in duplicates { repeated[duplicate.edge] = true }
      incoming.removeAll { repeated[$0.edge] }
      outgoing.removeAll { repeated[$0.edge] }
      incomingAdjacency = Adjacency(count: flow.nodes.count, pairs: incoming)
    }
    self.nodeIndex = nodeIndex
    self.incoming = incomingAdjacency
    self.outgoing = Adjacency(count: flow.nodes.count, pairs: outgoing)
    self.duplicateEdges = duplicates
    self.edgeClasses = edgeClasses
    self.handleKnown = handleKnown
    self.edgeSource = edgeSource
    self.edgeTarget = edgeTarget
  }

  /// The number of nodes.
  public var count: Int { flow.nodes.count }

  /// Edges into the same node from the same source with the same handles as an earlier edge.
  /// Only nodes with several inputs are compared, pair by pair (their in-degree is small).
  private static func duplicates(_ flow: Flow, incoming: Adjacency, sources: [Int]) -> [(edge: Int, of: Int)] {
    var found: [(edge: Int, of: Int)] = []
    for node in 0..<flow.nodes.count where incoming.degree(node) > 1 {
      let edges = incoming[node]
      for later in edges.indices {
        let edge = flow.edges[edges[later]]
        let earlier = edges[edges.startIndex..<later].first { candidate in
          sources[candidate] == sources[edges[later]] && flow.edges[candidate].sourceHandle == edge.sourceHandle
            && flow.edges[candidate].targetHandle == edge.targetHandle
        }
        if let earlier { found.append((edges[later], earlier)) }
      }
    }
    return found.sorted { $0.edge < $1.edge }
  }

  /// Nodes reachable downstream of `start` (breadth-first, `start` excluded), in visiting order.
  public func downstream(of start: Int) -> [Int] {
    breadthFirst(from: start) { node in outgoing[node].map { edgeTarget[$0] } }
  }

  /// Nodes reachable upstream of `start` (breadth-first, `start` excluded), in visiting order.
  public func upstream(of start: Int) -> [Int] {
    breadthFirst(from: start) { node in incoming[node].map { edgeSource[$0] } }
  }

  private func breadthFirst(from start: Int, next: (Int) -> [Int]) -> [Int] {
    var seen = [Bool](repeating: false, count: count)
    seen[start] = true
    var order: [Int] = []
    var head = 0
    var queue = [start]
    while head < queue.count {
      let node = queue[head]
      head += 1
      for neighbour in next(node) where !seen[neighbour] {
        seen[neighbour] = true
        order.append(neighbour)
        queue.append(neighbour)
      }
    }
    return order
  }
}
