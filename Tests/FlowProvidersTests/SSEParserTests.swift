import FakeProvider
import FlowRunnerTestSupport
import Foundation
import Testing

@testable import FlowProviders

@Suite("SSE parser on recorded transcripts")
struct SSEParserTests {
  /// Usage `nil`: the transcript reports none (it is never invented as zeros).
  static let transcripts: [(file: String, format: WireFormat, text: String, input: Int?, output: Int?)] = [
    ("openrouter", .openAICompatible, "Hello, world", 9, 3),
    ("mistral", .openAICompatible, "Bonjour le monde", 11, 4),
    ("glm", .openAICompatible, "你好!", 6, 2),
    ("huggingface", .openAICompatible, "Hi from HF", nil, nil),
    ("claude", .anthropic, "Hello there", 25, 15),
  ]

  func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: FixtureFiles.root.appendingPathComponent("sse/\(name).txt")))
  }

  @Test("whole and in random chunks: the same events and the same text", arguments: 0..<5)
  func transcript(index: Int) throws {
    let transcript = Self.transcripts[index]
    let data = try bytes(transcript.file)
    var whole = SSEParser()
    let expected = whole.feed(data)
    #expect(!whole.hasPartialEvent)
    var accumulator = StreamAccumulator()
    for event in expected { _ = try accumulator.apply(event, format: transcript.format, providerID: transcript.file) }
    #expect(accumulator.ended)
    #expect(accumulator.text == transcript.text)
    #expect(accumulator.inputTokens == transcript.input)
    #expect(accumulator.outputTokens == transcript.output)
    var generator = SplitMix64(seed: UInt64(index))
    for _ in 0..<30 {
      var parser = SSEParser()
      var events: [ServerSentEvent] = []
      var offset = 0
      while offset < data.count {
        let size = Int(generator.next() % 17) + 1
        events += parser.feed(data[offset..<min(data.count, offset + size)])
        offset += size
      }
      #expect(events == expected)
    }
  }

  @Test("comments, data with and without a space, multi-line data, CR line ends, event names")
  func rules() {
    var parser = SSEParser()
    let events = parser.feed(
      Array(": keep-alive\r\ndata:one\rdata: two\n\nevent: ping\ndata: {}\n\n\n\ndata\n\nid: 7\nretry: 10\nevent:x\n\n".utf8))
    #expect(events == [ServerSentEvent(data: "one\ntwo"), ServerSentEvent(event: "ping", data: "{}"), ServerSentEvent(data: "")])
    var cut = SSEParser()
    _ = cut.feed(Array("data: half".utf8))
    #expect(cut.hasPartialEvent)
  }
}

@Suite("SSE caps")
struct SSECapTests {
  @Test("a line or an event past the cap marks the stream overflowed without holding the excess")
  func caps() {
    var parser = SSEParser(maximumEventBytes: 1024)
    _ = parser.feed(Array("data: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 5000))
    #expect(parser.overflowed)
    var events = SSEParser(maximumEventBytes: 1024)
    var lines: [UInt8] = []
    for _ in 0..<40 { lines += Array("data: ".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 100) + [0x0A] }
    _ = events.feed(lines)
    #expect(events.overflowed)
    var fine = SSEParser(maximumEventBytes: 1024)
    #expect(fine.feed(Array("data: ok\n\n".utf8)).map(\.data) == ["ok"])
    #expect(!fine.overflowed)
  }

  @Test("a stream whose line never ends fails as a bad response, not a 4 GB buffer", arguments: ["mistral", "claude"])
  func endlessLine(provider: String) async throws {
    let fixture = try await Fixture.make()
    fixture.server.script(provider, FakeBehavior(.endlessLine(bytes: 3 << 20)))
    do {
      _ = try await fixture.client(provider).complete(request, observer: CallObserver(onDelta: { _, _ in }))
      Issue.record("an endless line was accepted")
    } catch let error as ProviderError {
      #expect(error.code == "provider_bad_response" && error.message.contains("went past 1 MiB"))
    }
    await fixture.server.stop()
  }
}
