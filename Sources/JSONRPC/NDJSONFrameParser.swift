/// A synchronous parser for newline-delimited JSON: one message per line, a trailing `\r`
/// tolerated, blank lines ignored. A line longer than `maximumMessageBytes` is reported and
/// discarded up to its newline without being buffered.
public struct NDJSONFrameParser: Sendable {
  /// The longest line accepted.
  public let maximumMessageBytes: Int

  /// The longest raw line kept: the cap plus a trailing `\r`.
  private let lineLimit: Int
  private var buffer: [UInt8] = []
  private var discardingOversizedLine = false

  /// A parser with a line size cap.
  public init(maximumMessageBytes: Int = 64 << 20) {
    self.maximumMessageBytes = maximumMessageBytes
    self.lineLimit = maximumMessageBytes < Int.max ? maximumMessageBytes + 1 : Int.max
  }

  /// The number of bytes held while waiting for the end of a line.
  public var bufferedByteCount: Int { buffer.count }

  /// Feeds a chunk and appends every event it completes.
  public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
    var lineStart = 0
    for index in 0..<chunk.count where chunk[index] == 0x0A {
      let piece = UnsafeBufferPointer(rebasing: chunk[lineStart..<index])
      lineStart = index + 1
      if discardingOversizedLine {
        discardingOversizedLine = false
        continue
      }
      if piece.count > lineLimit - buffer.count {
        reportOversized(start: piece, into: &events)
        buffer.removeAll(keepingCapacity: false)
        continue
      }
      if buffer.isEmpty {
        emitLine(piece, into: &events)
      } else {
        buffer.append(contentsOf: piece)
        buffer.withUnsafeBufferPointer { emitLine($0, into: &events) }
        buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
      }
    }
    guard !discardingOversizedLine else { return }
    let rest = UnsafeBufferPointer(rebasing: chunk[lineStart...])
    if rest.count > lineLimit - buffer.count {
      reportOversized(start: rest, into: &events)
      buffer.removeAll(keepingCapacity: false)
      discardingOversizedLine = true
    } else {
      buffer.append(contentsOf: rest)
    }
  }

  /// Feeds a chunk given as an array.
  public mutating func feed(_ chunk: [UInt8], into events: inout [FrameEvent]) {
    chunk.withUnsafeBufferPointer { feed($0, into: &events) }
  }

  /// Reports a line over the cap; its id is read from the line's first bytes (what is
  /// buffered, then `piece`).
  private func reportOversized(start piece: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
    var prefix = Array(buffer.prefix(RequestIDSniffer.prefixBytes))
    if prefix.count < RequestIDSniffer.prefixBytes {
      prefix += piece.prefix(RequestIDSniffer.prefixBytes - prefix.count)
    }
    events.append(
      .error(
        FrameError(
          code: .invalidRequest,
          message: "Line longer than the limit of \(maximumMessageBytes) bytes (--max-message-bytes); it was skipped.",
          requestID: RequestIDSniffer.sniff(prefix[...]))))
  }

  private func emitLine(_ line: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
    var end = line.count
    if end > 0, line[end - 1] == 0x0D { end -= 1 }
    guard end <= maximumMessageBytes else {
      reportOversized(start: line, into: &events)
      return
    }
    let body = UnsafeBufferPointer(rebasing: line[0..<end])
    guard body.contains(where: { !isFrameWhitespace($0) }) else { return }
    events.append(.message(Array(body)))
  }
}

/// The input side's parser: LSP, NDJSON, or undecided until the first significant byte arrives.
public struct FrameDecoder: Sendable {
  private enum Parser: Sendable {
    case undecided
    case lsp(LSPFrameParser)
    case ndjson(NDJSONFrameParser)
  }

  private var parser: Parser
  private let maximumMessageBytes: Int

  /// A decoder for a framing mode and a message size cap.
  public init(mode: FramingMode, maximumMessageBytes: Int = 64 << 20) {
    self.maximumMessageBytes = maximumMessageBytes
    switch mode {
    case .auto: parser = .undecided
    case .lsp: parser = .lsp(LSPFrameParser(maximumMessageBytes: maximumMessageBytes))
    case .ndjson: parser = .ndjson(NDJSONFrameParser(maximumMessageBytes: maximumMessageBytes))
    }
  }

  /// The framing in use, or `nil` while auto-detection has seen only white space.
  public var framing: Framing? {
    switch parser {
    case .undecided: nil
    case .lsp: .lsp
    case .ndjson: .ndjson
    }
  }

  /// Feeds a chunk and appends every event it completes.
  public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
    var chunk = chunk
    if case .undecided = parser {
      guard let first = chunk.firstIndex(where: { !isFrameWhitespace($0) }) else { return }
      let byte = chunk[first]
      if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
        parser = .ndjson(NDJSONFrameParser(maximumMessageBytes: maximumMessageBytes))
      } else {
        parser = .lsp(LSPFrameParser(maximumMessageBytes: maximumMessageBytes))
      }
      chunk = UnsafeBufferPointer(rebasing: chunk[first...])
    }
    switch parser {
    case .undecided: break
    case .lsp(var lsp):
      parser = .undecided
      lsp.feed(chunk, into: &events)
      parser = .lsp(lsp)
    case .ndjson(var ndjson):
      parser = .undecided
      ndjson.feed(chunk, into: &events)
      parser = .ndjson(ndjson)
    }
  }

  /// Feeds a chunk given as an array.
  public mutating func feed(_ chunk: [UInt8], into events: inout [FrameEvent]) {
    chunk.withUnsafeBufferPointer { feed($0, into: &events) }
  }
}
