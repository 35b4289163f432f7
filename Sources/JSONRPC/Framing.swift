import JSON

/// How messages are delimited on a byte stream.
public enum Framing: String, Sendable, CaseIterable {
  /// The LSP base protocol: `Content-Length` headers, a blank line, then the body.
  case lsp
  /// Newline-delimited JSON: one message per line.
  case ndjson

  /// Wraps one serialized message for the wire.
  public func frame(_ body: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    append(body, to: &output)
    return output
  }

  /// Appends one framed message whose body `writeBody` appends directly to `output`, without a
  /// separate body buffer: for LSP a `Content-Length` slot sized for a typical body is written
  /// first and filled in afterwards (moving the body only when the length needs another digit
  /// count).
  public func appendFrame(to output: inout [UInt8], writeBody: (inout [UInt8]) -> Void) {
    switch self {
    case .ndjson:
      writeBody(&output)
      output.append(0x0A)
    case .lsp:
      // The header with room for a three-digit length, filled in once the body is written.
      let slotStart = output.count + "Content-Length: ".utf8.count
      let guessedDigits = 3
      JSONSerializer.appendRaw("Content-Length: 000\r\n\r\n", to: &output)
      let bodyStart = output.count
      writeBody(&output)
      var length = output.count - bodyStart
      let digits = JSONSerializer.decimalDigitCount(UInt(length))
      if digits != guessedDigits {
        // Rare: make room (or close the gap) for the length's digits, moving the body once.
        let filler = repeatElement(UInt8(ascii: "0"), count: digits)
        output.replaceSubrange(slotStart..<slotStart + guessedDigits, with: filler)
      }
      output.withUnsafeMutableBufferPointer { buffer in
        var position = slotStart + digits - 1
        for _ in 0..<digits {
          buffer[position] = UInt8(ascii: "0") + UInt8(length % 10)
          length /= 10
          position -= 1
        }
      }
    }
  }

  /// Appends one framed message to an output buffer.
  public func append(_ body: [UInt8], to output: inout [UInt8]) {
    switch self {
    case .lsp:
      output.append(contentsOf: "Content-Length: ".utf8)
      JSONSerializer.append(body.count, to: &output)
      output.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
      output.append(contentsOf: body)
    case .ndjson:
      output.append(contentsOf: body)
      output.append(0x0A)
    }
  }
}

/// The framing the input side asks for: a fixed one, or detection from the first byte.
public enum FramingMode: String, Sendable, CaseIterable {
  /// NDJSON when the first non-whitespace input byte is `{` or `[`, LSP otherwise.
  case auto
  /// Always the LSP base protocol.
  case lsp
  /// Always newline-delimited JSON.
  case ndjson
}

/// A problem with the byte stream itself, answered with an error response whose id is `null`.
public struct FrameError: Error, Hashable, Sendable {
  /// `-32700` for unreadable headers or charsets, `-32600` for oversized frames.
  public var code: ErrorCode
  /// One sentence saying what was wrong with the frame.
  public var message: String
  /// The request's id, when it could be read from the frame's first bytes (oversized frames).
  public var requestID: RequestID?

  /// A frame error with its code and message.
  public init(code: ErrorCode, message: String, requestID: RequestID? = nil) {
    self.code = code
    self.message = message
    self.requestID = requestID
  }

  /// The error as a response error.
  public var responseError: ResponseError { ResponseError(code: code, message: message) }
}

/// What a frame parser produces: a message body, or a framing problem it has recovered from.
public enum FrameEvent: Hashable, Sendable {
  /// The bytes of one message body.
  case message([UInt8])
  /// A problem with one frame; the parser has already resynchronised.
  case error(FrameError)
}

/// Bytes treated as insignificant white space between frames.
@inline(__always)
func isFrameWhitespace(_ byte: UInt8) -> Bool {
  byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}
