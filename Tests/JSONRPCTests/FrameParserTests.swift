import FlowRunnerTestSupport
import JSON
import JSONRPC
import Testing

@Suite("LSP frame parser")
struct LSPFrameParserTests {
  static let bodies = [#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, #"{"a":"é😀"}"#, "[]"]

  static func script() -> [UInt8] {
    var bytes: [UInt8] = []
    for body in bodies { bytes += lspFrame(body) }
    bytes += Array("Content-Length: nope\r\n\r\n".utf8)
    bytes += lspFrame(bodies[0], headersAfter: ["Content-Type: application/json; charset=utf-16"])
    bytes += lspFrame(bodies[1], headersBefore: ["content-type: application/json; charset=utf8"])
    return bytes
  }

  static func expectedEvents(_ events: [FrameEvent]) {
    #expect(events.count == 6)
    guard events.count == 6 else { return }
    #expect(events[0] == .message(Array(bodies[0].utf8)))
    #expect(events[1] == .message(Array(bodies[1].utf8)))
    #expect(events[2] == .message(Array(bodies[2].utf8)))
    if case .error(let error) = events[3] { #expect(error.code == .parseError) } else { Issue.record("expected an error") }
    if case .error(let error) = events[4] { #expect(error.code == .parseError) } else { Issue.record("expected an error") }
    #expect(events[5] == .message(Array(bodies[1].utf8)))
  }

  @Test("whole input")
  func whole() {
    var parser = LSPFrameParser()
    var events: [FrameEvent] = []
    parser.feed(Self.script(), into: &events)
    Self.expectedEvents(events)
    #expect(parser.bufferedByteCount == 0)
  }

  @Test("one byte at a time")
  func byteByByte() {
    var parser = LSPFrameParser()
    var events: [FrameEvent] = []
    for byte in Self.script() { parser.feed([byte], into: &events) }
    Self.expectedEvents(events)
  }

  @Test("random chunkings", arguments: 0..<50)
  func randomChunks(seed: Int) {
    var generator = SplitMix64(seed: UInt64(seed))
    let script = Self.script()
    var parser = LSPFrameParser()
    var events: [FrameEvent] = []
    var offset = 0
    while offset < script.count {
      let size = Int(generator.next() % 64) + 1
      parser.feed(Array(script[offset..<min(offset + size, script.count)]), into: &events)
      offset += size
    }
    Self.expectedEvents(events)
  }

  @Test("an oversized body is skipped without being buffered")
  func oversizedNotBuffered() {
    var parser = LSPFrameParser(maximumMessageBytes: 1000)
    var events: [FrameEvent] = []
    parser.feed(Array("Content-Length: 50000000\r\n\r\n".utf8), into: &events)
    // The error waits for the body's first bytes, where the request id would be.
    #expect(events.isEmpty)
    let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 16)
    var sent = 0
    while sent + chunk.count <= 50_000_000 {
      parser.feed(chunk, into: &events)
      sent += chunk.count
      #expect(parser.bufferedByteCount == 0)
      #expect(events.count == 1)
    }
    parser.feed([UInt8](repeating: UInt8(ascii: "x"), count: 50_000_000 - sent) + lspFrame("{}"), into: &events)
    #expect(events.count == 2)
    #expect(events.last == .message(Array("{}".utf8)))
  }

  @Test("a header block that never ends is dropped and parsing resumes")
  func endlessHeader() {
    var parser = LSPFrameParser(maximumHeaderBytes: 100)
    var events: [FrameEvent] = []
    parser.feed([UInt8](repeating: UInt8(ascii: "a"), count: 5000), into: &events)
    #expect(events.count == 1)
    #expect(parser.bufferedByteCount < 200)
    parser.feed(Array("\r\n\r\n".utf8) + lspFrame("{}"), into: &events)
    #expect(events.last == .message(Array("{}".utf8)))
  }

  @Test("huge and conflicting lengths")
  func lengths() {
    var parser = LSPFrameParser(maximumMessageBytes: 100)
    var events: [FrameEvent] = []
    parser.feed(Array("Content-Length: 99999999999999999999999999\r\n\r\n".utf8), into: &events)
    parser.feed([UInt8](repeating: UInt8(ascii: " "), count: 4096), into: &events)
    if case .error(let error) = events.first { #expect(error.code == .invalidRequest) } else { Issue.record("expected -32600") }
    var second = LSPFrameParser()
    events = []
    second.feed(Array("Content-Length: 2\r\nContent-Length: 3\r\n\r\n".utf8) + lspFrame("[]"), into: &events)
    #expect(events.count == 2)
    #expect(events.last == .message(Array("[]".utf8)))
  }
}

@Suite("NDJSON frame parser and framing detection")
struct NDJSONFrameParserTests {
  @Test("lines, CRLF, blank lines, and random chunkings", arguments: 0..<20)
  func lines(seed: Int) {
    let script = Array("\n{\"a\":1}\r\n  \n[\"é😀\"]\n{}".utf8) + [0x0A]
    var generator = SplitMix64(seed: UInt64(seed))
    var parser = NDJSONFrameParser()
    var events: [FrameEvent] = []
    var offset = 0
    while offset < script.count {
      let size = seed == 0 ? 1 : Int(generator.next() % 8) + 1
      parser.feed(Array(script[offset..<min(offset + size, script.count)]), into: &events)
      offset += size
    }
    #expect(events == [.message(Array("{\"a\":1}".utf8)), .message(Array("[\"é😀\"]".utf8)), .message(Array("{}".utf8))])
  }

  @Test("an oversized line is reported once and skipped without buffering")
  func oversized() {
    var parser = NDJSONFrameParser(maximumMessageBytes: 10)
    var events: [FrameEvent] = []
    for _ in 0..<100 {
      parser.feed([UInt8](repeating: UInt8(ascii: "x"), count: 1000), into: &events)
      #expect(parser.bufferedByteCount <= 10)
    }
    parser.feed(Array("\n{}\n".utf8), into: &events)
    #expect(events.count == 2)
    #expect(events.last == .message(Array("{}".utf8)))
  }

  @Test("auto detection picks NDJSON for { and [ and LSP otherwise")
  func detection() {
    var ndjson = FrameDecoder(mode: .auto)
    var events: [FrameEvent] = []
    ndjson.feed(Array(" \n ".utf8), into: &events)
    #expect(ndjson.framing == nil)
    ndjson.feed(Array("[1]\n".utf8), into: &events)
    #expect(ndjson.framing == .ndjson)
    #expect(events == [.message(Array("[1]".utf8))])
    var lsp = FrameDecoder(mode: .auto)
    events = []
    lsp.feed(lspFrame("{}"), into: &events)
    #expect(lsp.framing == .lsp)
    #expect(events == [.message(Array("{}".utf8))])
  }
}

@Suite("Framing bodies in place")
struct InPlaceFramingTests {
  @Test("LSP frames written in place have exact lengths for every digit count", arguments: [0, 5, 99, 100, 999, 1000, 123_456])
  func lengths(size: Int) {
    var output: [UInt8] = Array("prefix".utf8)
    Framing.lsp.appendFrame(to: &output) { $0.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size)) }
    Framing.lsp.appendFrame(to: &output) { $0.append(contentsOf: "{}".utf8) }
    var expected: [UInt8] = Array("prefix".utf8)
    expected += Framing.lsp.frame([UInt8](repeating: UInt8(ascii: "x"), count: size)) + Framing.lsp.frame(Array("{}".utf8))
    #expect(output == expected)
    var ndjson: [UInt8] = []
    Framing.ndjson.appendFrame(to: &ndjson) { $0.append(contentsOf: "{}".utf8) }
    #expect(ndjson == Array("{}\n".utf8))
  }

  @Test("an oversized frame's error carries the id read from its first 4 KiB, in both framings")
  func oversizedID() {
    let body =
      #"{"jsonrpc":"2.0","method":"flow.validate","id":"x-1","params":{"pad":""# + String(repeating: "p", count: 9000)
      + #""}}"#
    var lsp = LSPFrameParser(maximumMessageBytes: 1000)
    var events: [FrameEvent] = []
    lsp.feed(lspFrame(body), into: &events)
    guard case .error(let lspError)? = events.first, events.count == 1 else {
      Issue.record("expected one error, got \(events)")
      return
    }
    #expect(lspError.code == .invalidRequest && lspError.requestID == .string("x-1"))
    #expect(lspError.message.contains("1000"))
    var ndjson = NDJSONFrameParser(maximumMessageBytes: 1000)
    events = []
    for byte in Array((body + "\n").utf8) { ndjson.feed([byte], into: &events) }
    guard case .error(let error)? = events.first, events.count == 1 else {
      Issue.record("expected one error, got \(events)")
      return
    }
    #expect(error.requestID == .string("x-1"))
    // An id after the first 4 KiB, or none, leaves it null.
    var late = LSPFrameParser(maximumMessageBytes: 1000)
    events = []
    late.feed(lspFrame(#"{"pad":""# + String(repeating: "p", count: 5000) + #"","id":3}"#), into: &events)
    if case .error(let error)? = events.first { #expect(error.requestID == nil) } else { Issue.record("no error") }
  }

  @Test("large bodies handed over without a copy come out intact, in any chunking, with what follows")
  func largeBodies() {
    let big = "[" + (0..<20_000).map { "\($0)" }.joined(separator: ",") + "]"
    let script = lspFrame("{}") + lspFrame(big) + lspFrame("[1]") + lspFrame(big) + lspFrame(big) + lspFrame("{}")
    let expected: [FrameEvent] = [
      .message(Array("{}".utf8)), .message(Array(big.utf8)), .message(Array("[1]".utf8)), .message(Array(big.utf8)),
      .message(Array(big.utf8)), .message(Array("{}".utf8)),
    ]
    var generator = SplitMix64(seed: 11)
    for chunk in [1 << 20, 65_536, 4_093, 777] {
      var parser = LSPFrameParser()
      var events: [FrameEvent] = []
      var offset = 0
      while offset < script.count {
        let size = max(1, Int(generator.next() % UInt64(chunk)) + 1)
        parser.feed(Array(script[offset..<min(offset + size, script.count)]), into: &events)
        offset += size
      }
      #expect(events == expected, "chunks up to \(chunk) bytes")
      #expect(parser.bufferedByteCount == 0)
    }
  }

  @Test(
    "after a header block with a bad length, parsing resumes at the next Content-Length, even with a body behind it",
    arguments: ["abc", "-5", "+40", "0x28", "", "40\r\nContent-Length: 41"])
  func resynchronise(length: String) {
    let body = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
    let script = Array("Content-Length: \(length)\r\n\r\n\(body)".utf8) + lspFrame(body) + lspFrame("[2]")
    for chunk in [1, 7, script.count] {
      var parser = LSPFrameParser()
      var events: [FrameEvent] = []
      var offset = 0
      while offset < script.count {
        parser.feed(Array(script[offset..<min(offset + chunk, script.count)]), into: &events)
        offset += chunk
      }
      let messages = events.compactMap { event -> [UInt8]? in
        if case .message(let bytes) = event { return bytes }
        return nil
      }
      #expect(messages == [Array(body.utf8), Array("[2]".utf8)], "length '\(length)' in chunks of \(chunk): \(events)")
      #expect(events.first.map { if case .error = $0 { true } else { false } } == true)
    }
  }
}
