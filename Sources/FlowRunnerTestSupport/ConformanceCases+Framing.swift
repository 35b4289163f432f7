import Foundation
import JSON
import JSONRPC
import Testing

extension ConformanceCase {
  /// Checklist items 1–12: framing.
  public static let framing: [ConformanceCase] = [
    ConformanceCase("1 valid frame: one response with a byte-accurate Content-Length") { peer in
      try peer.sendLSP(requestBody("ping", id: 1))
      expectResult(try await peer.next(), id: 1)
      let raw = String(decoding: peer.output.rawOutput, as: UTF8.self)
      let parts = raw.components(separatedBy: "\r\n\r\n")
      #expect(parts.count == 2)
      #expect(parts[0] == "Content-Length: \(parts[1].utf8.count)")
      #expect(peer.output.frameErrors.isEmpty)
    },
    ConformanceCase("2 one byte at a time") { peer in
      for byte in lspFrame(requestBody("ping", id: 7)) { try peer.send([byte]) }
      expectResult(try await peer.next(), id: 7)
    },
    ConformanceCase("3 two frames in one write: two responses in order") { peer in
      try peer.send(lspFrame(requestBody("ping", id: 1)) + lspFrame(requestBody("ping", id: 2)))
      expectResult(try await peer.next(), id: 1)
      expectResult(try await peer.next(), id: 2)
    },
    ConformanceCase("4 non-ASCII body and output with byte-accurate lengths") { peer in
      try await peer.initialize(params: ["client_info": ["name": "édition 😀", "version": "1"]])
      try peer.sendLSP(requestBody("métode.😀", id: "é"))
      let response = try await peer.next()
      expectError(response, code: -32601, id: "é")
      #expect(response["error"]?["message"]?.stringValue?.contains("métode.😀") == true)
      #expect(peer.output.frameErrors.isEmpty)
    },
    ConformanceCase("5 Content-Type before or after Content-Length, charset utf-8 or utf8") { peer in
      try peer.send(
        lspFrame(requestBody("ping", id: 1), headersBefore: ["Content-Type: application/vscode-jsonrpc; charset=utf-8"]))
      try peer.send(
        lspFrame(requestBody("ping", id: 2), headersAfter: ["Content-Type: application/vscode-jsonrpc; charset=utf8"]))
      try peer.send(lspFrame(requestBody("ping", id: 3), headersAfter: ["content-type: application/json; charset=\"UTF-8\""]))
      expectResult(try await peer.next(), id: 1)
      expectResult(try await peer.next(), id: 2)
      expectResult(try await peer.next(), id: 3)
    },
    ConformanceCase("6 charset=utf-16 is an error and the stream stays usable") { peer in
      try peer.send(
        lspFrame(requestBody("ping", id: 1), headersAfter: ["Content-Type: application/vscode-jsonrpc; charset=utf-16"]))
      let error = try await peer.next()
      expectError(error, code: -32700)
      #expect(error["error"]?["message"]?.stringValue?.contains("utf-16") == true)
      try peer.sendLSP(requestBody("ping", id: 2))
      expectResult(try await peer.next(), id: 2)
    },
    ConformanceCase("7 lower-case content-length") { peer in
      try peer.send(
        lspFrame(requestBody("ping", id: 1), lengthHeader: "content-length: \(requestBody("ping", id: 1).utf8.count)"))
      expectResult(try await peer.next(), id: 1)
    },
    ConformanceCase("8 missing, non-numeric or negative length: -32700, then the next frame is handled") { peer in
      let body = requestBody("ping", id: 9)
      for bad in [
        "Content-Type: application/json", "Content-Length: abc", "Content-Length: -5", "Content-Length:", "garbage line",
      ] {
        try peer.send(Array("\(bad)\r\n\r\n".utf8))
        expectError(try await peer.next(), code: -32700)
        try peer.sendLSP(body)
        expectResult(try await peer.next(), id: 9)
      }
    },
    ConformanceCase(
      "9 length over the cap: -32600, the body skipped, the next frame handled", options: PeerOptions(maxMessageBytes: 4096)
    ) { peer in
      let huge = requestBody("ping", id: 1, params: ["pad": .string(String(repeating: "x", count: 200_000))])
      try peer.sendLSP(huge)
      let error = try await peer.next()
      expectError(error, code: -32600, id: 1)  // the id is read from the frame's first bytes
      #expect(error["error"]?["message"]?.stringValue?.contains("4096") == true)
      try peer.sendLSP(requestBody("ping", id: 2))
      expectResult(try await peer.next(), id: 2)
    },
    ConformanceCase("10 random chunks of 1...1024 bytes give identical results") { peer in
      var script: [UInt8] = lspFrame(requestBody("initialize", id: 0, params: [:]))
      for id in 1...60 {
        script += lspFrame(requestBody(id % 3 == 0 ? "nope.\(id)" : "ping", id: .int(id), params: ["é": .string("😀 \(id)")]))
      }
      var generator = SplitMix64(seed: 42)
      var offset = 0
      while offset < script.count {
        let size = Int(generator.next() % 1024) + 1
        try peer.send(Array(script[offset..<min(script.count, offset + size)]))
        offset += size
      }
      expectResult(try await peer.next(), id: 0)
      for id in 1...60 {
        let response = try await peer.next()
        if id % 3 == 0 { expectError(response, code: -32601, id: .int(id)) } else { expectResult(response, id: .int(id)) }
      }
    },
    ConformanceCase("11 stdout holds only frames") { peer in
      try peer.send(
        Array("Content-Length: x\r\n\r\n".utf8) + lspFrame("{bad json") + lspFrame(requestBody("initialize", id: 1, params: [:])))
      expectError(try await peer.next(), code: -32700)
      expectError(try await peer.next(), code: -32700)
      expectResult(try await peer.next(), id: 1)
      try peer.sendLSP(requestBody("shutdown", id: 2))
      _ = try await peer.next()
      try peer.sendLSP(notificationBody("exit"))
      #expect(try await peer.waitForExit(timeout: .seconds(2)) == 0)
      try await peer.output.waitUntilClosed()
      #expect(peer.output.frameErrors.isEmpty)
      #expect(peer.output.pendingCount == 0)
    },
  ]

  /// Checklist item 12: the framing cases again with newline-delimited JSON.
  public static let ndjson: [ConformanceCase] = [
    ConformanceCase("12a NDJSON: one message per line, detected automatically") { peer in
      try peer.sendLine(requestBody("ping", id: 1))
      expectResult(try await peer.next(), id: 1)
      #expect(String(decoding: peer.output.rawOutput, as: UTF8.self) == #"{"jsonrpc":"2.0","id":1,"result":{}}"# + "\n")
    },
    ConformanceCase("12b NDJSON: two lines in one write, CRLF, blank lines ignored") { peer in
      try peer.send(Array("\n  \n\(requestBody("ping", id: 1))\r\n\n\n\(requestBody("ping", id: 2))\n".utf8))
      expectResult(try await peer.next(), id: 1)
      expectResult(try await peer.next(), id: 2)
      #expect(try await peer.messagesBeforePing(framing: .ndjson).isEmpty)
    },
    ConformanceCase("12c NDJSON: one byte at a time and non-ASCII", options: PeerOptions(framing: .ndjson)) { peer in
      try await peer.initialize(framing: .ndjson)
      for byte in Array((requestBody("é😀", id: "ü") + "\n").utf8) { try peer.send([byte]) }
      let response = try await peer.next()
      expectError(response, code: -32601, id: "ü")
      #expect(response["error"]?["message"]?.stringValue?.contains("é😀") == true)
    },
    ConformanceCase("12d NDJSON: malformed line, then valid", options: PeerOptions(framing: .ndjson)) { peer in
      try peer.send(Array("{\"jsonrpc\":\n\(requestBody("ping", id: 3))\n".utf8))
      expectError(try await peer.next(), code: -32700)
      expectResult(try await peer.next(), id: 3)
    },
    ConformanceCase(
      "12e NDJSON: line over the cap skipped without buffering", options: PeerOptions(framing: .ndjson, maxMessageBytes: 1024)
    ) { peer in
      try peer.send(Array(requestBody("ping", id: 1, params: ["pad": .string(String(repeating: "y", count: 100_000))]).utf8))
      try peer.send(Array("\n\(requestBody("ping", id: 2))\n".utf8))
      expectError(try await peer.next(), code: -32600, id: 1)
      expectResult(try await peer.next(), id: 2)
    },
  ]
}

/// A small deterministic random generator for reproducible chunkings.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  /// A generator with a seed.
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
