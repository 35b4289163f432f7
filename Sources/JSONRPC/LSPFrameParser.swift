/// A synchronous parser for the LSP base protocol: feed it bytes in chunks of any size and it
/// emits each message body, or an error for a frame it had to drop.
///
/// - Header names are case-insensitive; `Content-Type` must name `utf-8` or `utf8` if it names a charset.
/// - A declared length over `maximumMessageBytes` is reported and its body discarded as it
///   arrives, never buffered.
/// - A header block without a valid `Content-Length` is reported and parsing resumes at the next
///   header block.
public struct LSPFrameParser: Sendable {
  /// The largest body accepted.
  public let maximumMessageBytes: Int
  /// The largest header block accepted before it is discarded as garbage.
  public let maximumHeaderBytes: Int

  private enum State: Sendable {
    case header
    case body(length: Int)
    /// An oversized body: its first bytes are read for the request id, then it is skipped.
    case oversized(length: Int)
    case skip(remaining: Int)
    /// After a header block with no usable length: the bytes up to the next `Content-Length`
    /// (a body the client sent behind the bad header, say) are dropped.
    case resync
  }

  private var state = State.header
  /// Bodies at least this large are collected at the front of the buffer and handed over
  /// without a copy.
  private static let moveThreshold = 64 << 10
  private var buffer: [UInt8] = []
  private var start = 0
  /// Where the search for the end of the header block resumes, so byte-by-byte input stays linear.
  private var headerScanFrom = 0

  /// A parser with a body size cap.
  public init(maximumMessageBytes: Int = 64 << 20, maximumHeaderBytes: Int = 8192) {
    self.maximumMessageBytes = maximumMessageBytes
    self.maximumHeaderBytes = maximumHeaderBytes
  }

  /// The number of bytes held while waiting for the rest of a frame.
  public var bufferedByteCount: Int { buffer.count - start }

  /// Feeds a chunk and appends every event it completes.
  public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
    var input = chunk[...]
    if case .skip(let remaining) = state {
      let dropped = min(remaining, input.count)
      input = input.dropFirst(dropped)
      state = remaining == dropped ? .header : .skip(remaining: remaining - dropped)
      if input.isEmpty { return }
    }
    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input))
    process(into: &events)
    compact()
  }

  /// Feeds a chunk given as an array.
  public mutating func feed(_ chunk: [UInt8], into events: inout [FrameEvent]) {
    chunk.withUnsafeBufferPointer { feed($0, into: &events) }
  }

  private mutating func compact() {
    if start == buffer.count {
      buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
      headerScanFrom -= start
      start = 0
    } else if start > 1 << 16, start > buffer.count / 2 {
      buffer.removeFirst(start)
      headerScanFrom -= start
      start = 0
    }
    headerScanFrom = max(headerScanFrom, 0)
  }

  private mutating func process(into events: inout [FrameEvent]) {
    while true {
      switch state {
      case .skip(let remaining):
        let dropped = min(remaining, buffer.count - start)
        start += dropped
        headerScanFrom = start
        guard dropped == remaining else {
          state = .skip(remaining: remaining - dropped)
          return
        }
        state = .header
      case .oversized(let length):
        let prefix = min(length, RequestIDSniffer.prefixBytes)
        guard buffer.count - start >= prefix else { return }
        events.append(
          .error(
            FrameError(
              code: .invalidRequest,
              message:
                "Message of \(length) bytes exceeds the limit of \(maximumMessageBytes) bytes (--max-message-bytes); it was skipped.",
              requestID: RequestIDSniffer.sniff(buffer[start..<start + prefix]))))
        state = .skip(remaining: length)
      case .body(let length):
        guard buffer.count - start >= length else { return }
        if length >= Self.moveThreshold, start == 0 {
          // A large body at the front of the buffer is handed over whole, not copied; the few
          // bytes after it (the next frame's start) move to a new buffer instead.
          let rest = Array(buffer[length...])
          buffer.removeSubrange(length...)
          events.append(.message(buffer))
          buffer = rest
          start = 0
        } else {
          events.append(.message(Array(buffer[start..<start + length])))
          start += length
        }
        headerScanFrom = start
        state = .header
      case .header:
        while start < buffer.count, isFrameWhitespace(buffer[start]) { start += 1 }
        headerScanFrom = max(headerScanFrom, start)
        guard let end = findHeaderEnd() else {
          if buffer.count - start > maximumHeaderBytes {
            events.append(
              .error(
                FrameError(
                  code: .parseError,
                  message: "Header block longer than \(maximumHeaderBytes) bytes without a blank line; the bytes were discarded.")
              ))
            start = buffer.count - 3
            headerScanFrom = start
          }
          return
        }
        let header = parseHeader(buffer[start..<end])
        start = end + 4
        headerScanFrom = start
        switch header {
        case .success(let length):
          if length > maximumMessageBytes {
            state = .oversized(length: length)
          } else {
            state = .body(length: length)
            if length >= Self.moveThreshold {
              // Drop what precedes the body (what is buffered of it is small so far) and make
              // room for all of it at once, so it can be handed over without a copy.
              buffer.removeFirst(start)
              start = 0
              headerScanFrom = 0
              buffer.reserveCapacity(length + 4096)
            }
          }
        case .failure(let problem):
          events.append(.error(problem.error))
          state = problem.bodyLength.map { .skip(remaining: $0) } ?? .resync
        }
      case .resync:
        guard let found = nextContentLength() else {
          // Keep what could be the start of the name, drop the rest.
          start = max(start, buffer.count - (Self.contentLengthName.count - 1))
          headerScanFrom = start
          return
        }
        start = found
        headerScanFrom = found
        state = .header
      }
    }
  }

  private static let contentLengthName = Array("content-length".utf8)

  /// Where the next `Content-Length` (any case) begins, from `start` on.
  private func nextContentLength() -> Int? {
    let name = Self.contentLengthName
    guard buffer.count - start >= name.count else { return nil }
    var index = start
    while index <= buffer.count - name.count {
      if buffer[index] | 0x20 == name[0] {
        var matches = true
        for offset in 1..<name.count where buffer[index + offset] | 0x20 != name[offset] {
          // "-" has no case: 0x2D | 0x20 == 0x2D.
          matches = false
          break
        }
        if matches { return index }
      }
      index += 1
    }
    return nil
  }

  private mutating func findHeaderEnd() -> Int? {
    var index = max(headerScanFrom, start)
    while index + 3 < buffer.count {
      if buffer[index + 3] != 0x0A {
        // Fast skip: the terminator's last byte is '\n'.
        index += buffer[index + 3] == 0x0D ? 1 : 4
        continue
      }
      if buffer[index] == 0x0D, buffer[index + 1] == 0x0A, buffer[index + 2] == 0x0D {
        return index
      }
      index += 1
    }
    headerScanFrom = index
    return nil
  }

  private struct HeaderProblem: Error {
    var error: FrameError
    /// Set when the length was readable, so the body can be skipped precisely.
    var bodyLength: Int?
  }

  private func parseHeader(_ block: ArraySlice<UInt8>) -> Result<Int, HeaderProblem> {
    if let length = Self.plainContentLength(block) { return .success(length) }
    var contentLength: Int?
    var lengthProblem: String?
    var charsetProblem: String?
    for line in block.split(separator: 0x0A, omittingEmptySubsequences: false) {
      var line = line
      if line.last == 0x0D { line = line.dropLast() }
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
        let text = String(decoding: line.prefix(40), as: UTF8.self)
        return .failure(
          HeaderProblem(
            error: FrameError(
              code: .parseError, message: "Malformed header line '\(text)': expected 'Name: value'.")))
      }
      let name = String(decoding: line[..<colon], as: UTF8.self).trimmingFrameSpaces().lowercased()
      let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingFrameSpaces()
      switch name {
      case "content-length":
        if let parsed = Self.parseLength(value) {
          if let contentLength, contentLength != parsed { lengthProblem = "Conflicting Content-Length headers." }
          contentLength = parsed
        } else {
          lengthProblem = "Content-Length '\(value.prefix(40))' is not a non-negative integer."
        }
      case "content-type":
        if let charset = Self.charset(in: value), !["utf-8", "utf8"].contains(charset.lowercased()) {
          charsetProblem = "Unsupported charset '\(charset.prefix(40))' in Content-Type; only utf-8 is accepted."
        }
      default:
        continue
      }
    }
    if let lengthProblem {
      return .failure(HeaderProblem(error: FrameError(code: .parseError, message: lengthProblem)))
    }
    guard let contentLength else {
      return .failure(HeaderProblem(error: FrameError(code: .parseError, message: "Header block has no Content-Length.")))
    }
    if let charsetProblem {
      return .failure(HeaderProblem(error: FrameError(code: .parseError, message: charsetProblem), bodyLength: contentLength))
    }
    return .success(contentLength)
  }

  private static let plainPrefix = Array("Content-Length: ".utf8)

  /// The common case, a block that is exactly `Content-Length: <digits>` as this engine and most
  /// clients write it, read without building strings.
  private static func plainContentLength(_ block: ArraySlice<UInt8>) -> Int? {
    guard block.count > plainPrefix.count, block.count <= plainPrefix.count + 18, block.starts(with: plainPrefix) else {
      return nil
    }
    var value = 0
    for byte in block.dropFirst(plainPrefix.count) {
      guard (0x30...0x39).contains(byte) else { return nil }
      value = value * 10 + Int(byte - 0x30)
    }
    return value
  }

  /// Digits only; values too large for `Int` saturate so the size cap rejects them.
  private static func parseLength(_ text: String) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    var value = 0
    for digit in text.utf8 {
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (next, overflow2) = shifted.addingReportingOverflow(Int(digit - 0x30))
      if overflow1 || overflow2 { return Int.max }
      value = next
    }
    return value
  }

  private static func charset(in contentType: String) -> String? {
    for parameter in contentType.split(separator: ";").dropFirst() {
      let pair = parameter.split(separator: "=", maxSplits: 1)
      guard pair.count == 2, pair[0].trimmingFrameSpaces().lowercased() == "charset" else { continue }
      var value = pair[1].trimmingFrameSpaces()
      if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
      return value
    }
    return nil
  }
}

extension StringProtocol {
  func trimmingFrameSpaces() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
    let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
    var result = String.UnicodeScalarView()
    result.append(contentsOf: scalars[first...last])
    return String(result)
  }
}
