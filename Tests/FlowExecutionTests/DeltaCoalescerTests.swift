import FlowGraph
import Signals
import Testing

@testable import FlowExecution

@Suite("Delta coalescing")
struct DeltaCoalescerTests {
  final class Collected: Sendable {
    let deltas = Locked<[(attempt: Int, index: Int, text: String)]>([])
    let first = Latch<Void>()
    let second = Latch<Void>()

    func record(_ event: RunEvent) {
      guard case .nodeDelta(_, let attempt, let index, let text) = event else { return }
      let count = deltas.withLock { deltas -> Int in
        deltas.append((attempt, index, text))
        return deltas.count
      }
      first.set(())
      if count == 2 { second.set(()) }
    }
  }

  @Test("small pieces are held until 64 bytes, the first one included; the text adds up")
  func bytes() {
    let collected = Collected()
    let coalescer = DeltaCoalescer(nodeID: "n") { collected.record($0) }
    let pieces = (0..<40).map { "word\($0) " }
    for piece in pieces.prefix(5) { coalescer.add(attempt: 1, text: piece) }
    #expect(collected.deltas.withLock { $0.isEmpty }, "the first 6-byte piece went out alone")
    for piece in pieces.dropFirst(5) { coalescer.add(attempt: 1, text: piece) }
    coalescer.flush()
    let deltas = collected.deltas.withLock { $0 }
    #expect(deltas.map(\.text).joined() == pieces.joined())
    #expect(deltas.map(\.index) == Array(0..<deltas.count))
    #expect(deltas.dropLast().allSatisfy { $0.text.utf8.count >= DeltaCoalescer.minimumBytes })
  }

  @Test("a piece that is not followed by more goes out after 25 ms, without waiting for the end")
  func timer() async {
    let collected = Collected()
    let coalescer = DeltaCoalescer(nodeID: "n") { collected.record($0) }
    coalescer.add(attempt: 1, text: "slow")
    #expect(await collected.first.wait(timeout: .seconds(5)) != nil)
    #expect(collected.deltas.withLock { $0.map(\.text) } == ["slow"])
  }

  @Test("a new attempt sends what the old one held and restarts the index")
  func attempts() {
    let collected = Collected()
    let coalescer = DeltaCoalescer(nodeID: "n") { collected.record($0) }
    coalescer.add(attempt: 1, text: "abc")
    coalescer.add(attempt: 2, text: "xyz")
    coalescer.flush()
    let deltas = collected.deltas.withLock { $0 }
    #expect(deltas.map(\.attempt) == [1, 2] && deltas.map(\.index) == [0, 0] && deltas.map(\.text) == ["abc", "xyz"])
  }

  @Test("text held after a size-triggered send still goes out by the timer")
  func timerAfterSizeSend() async {
    let collected = Collected()
    let coalescer = DeltaCoalescer(nodeID: "n") { collected.record($0) }
    coalescer.add(attempt: 1, text: "0123456789")
    coalescer.add(attempt: 1, text: String(repeating: "x", count: 60))
    coalescer.add(attempt: 1, text: "tail")
    #expect(await collected.second.wait(timeout: .seconds(5)) != nil, "the held tail never went out")
    #expect(collected.deltas.withLock { $0.map(\.text) } == ["0123456789" + String(repeating: "x", count: 60), "tail"])
  }
}
