import FlowGraph
import Testing

@Suite("Node id table")
struct NodeIDTableTests {
  @Test("every id is found at its first position; absent ids, prefixes and near misses are not")
  func lookups() {
    let ids = (0..<5_000).map { "node-\($0)" } + ["", "é", "a much longer id than eight bytes, with ü", "node-7"]
    let table = NodeIDTable(ids)
    var misplaced: [String] = []
    for (position, id) in ids.enumerated().dropLast() where table[id] != position { misplaced.append(id) }
    #expect(misplaced.isEmpty)
    #expect(table["node-7"] == 7, "a repeated id keeps its first position")
    for missing in ["node-5000", "node-", "Node-1", "node-1 ", "e", "a much longer id than eight bytes, with u"] {
      #expect(table[missing] == nil, "\(missing)")
    }
    #expect(NodeIDTable([])["x"] == nil)
  }
}
