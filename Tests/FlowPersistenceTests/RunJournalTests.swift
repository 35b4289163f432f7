import FlowExecution
import FlowPersistence
import Foundation
import Logging
import Testing

/// The run journal on a real SQLite file, fed batches directly.
@Suite("Run journal")
struct RunJournalTests {
  /// Bodies `{"seq":first}` … `{"seq":last}`, one line each.
  static func bodies(_ seqs: ClosedRange<Int>) -> Data {
    Data(seqs.map { #"{"seq":\#($0)}"# + "\n" }.joined().utf8)
  }

  @Test("batches handed over faster than they are written are stored as they came and replayed in order from any seq")
  func foldedBatches() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-journal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let journal = try #require(
      RunJournal.open(path: directory.appendingPathComponent("journal.sqlite").path, logger: Logger(label: "test")))
    // Handed over back to back: the journal folds them into one pass of several rows.
    let cuts = [1...3, 4...4, 5...9, 10...12]
    for (position, seqs) in cuts.enumerated() {
      journal.append(
        JournalBatch(
          runID: "folded", start: position == 0 ? .init(flowID: "f", total: 3, startedAt: 1) : nil,
          firstSeq: seqs.lowerBound, lastSeq: seqs.upperBound, bodies: Self.bodies(seqs), done: seqs.upperBound / 4,
          end: position == cuts.count - 1 ? .init(state: .completed, durationMS: 5, endedAt: 2) : nil))
    }
    await journal.flush()
    for afterSeq in 0...12 {
      for limit in [1, 2, 5, 20] {
        let page = try #require(await journal.events(runID: "folded", afterSeq: afterSeq, limit: limit))
        let expected = ((afterSeq + 1)..<13).prefix(limit).map { #"{"seq":\#($0)}"# }
        #expect(page.bodies.map { String(decoding: $0, as: UTF8.self) } == Array(expected))
        #expect(page.ended)
      }
    }
  }
}
