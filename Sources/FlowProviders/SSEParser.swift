/// One server-sent event.
public struct ServerSentEvent: Sendable, Hashable {
  /// The `event:` name, if any (Anthropic names every event; OpenAI-compatible streams name none).
  public var event: String?
  /// The `data:` lines joined with `\n`.
  public var data: String
  /// The `id:` field, if any.
  public var id: String?

  /// An event.
  public init(event: String? = nil, data: String, id: String? = nil) {
    self.event = event
    self.data = data
    self.id = id
  }
}

/// A synchronous parser for `text/event-stream` bodies, fed in chunks of any size.
///
/// It follows the HTML living standard's rules: lines end with CRLF, LF or CR (a CRLF split
/// across chunks included); lines starting with `:` are comments (OpenRouter's
/// `: OPENROUTER PROCESSING` keep-alives); `field: value` loses one leading space of the value,
/// and `data:` without a space works too; several `data:` lines join with `\n`; a blank line
/// dispatches the event, and an event with no data is not dispatched.
public struct SSEParser: Sendable {
  private var line: [UInt8] = []
  private var lastWasCarriageReturn = false
  private var data: [UInt8] = []
  private var hasData = false
  private var eventName: String?
  private var lastID: String?
  /// The most bytes one line or one event's data may hold.
  public let maximumEventBytes: Int
  /// Whether a line or an event went past ``maximumEventBytes``: the stream is unusable and the
  /// bytes beyond the cap were dropped.
  public private(set) var overflowed = false

  /// A parser at the start of a stream; lines and events are capped at `maximumEventBytes`.
  public init(maximumEventBytes: Int = 1 << 20) {
    self.maximumEventBytes = maximumEventBytes
  }

  /// Whether bytes of an unfinished event are held (a stream that ends here was cut off).
  public var hasPartialEvent: Bool { hasData || !line.isEmpty }

  /// Feeds a chunk and returns the events it completes.
  public mutating func feed(_ chunk: some Sequence<UInt8>) -> [ServerSentEvent] {
    var events: [ServerSentEvent] = []
    for byte in chunk {
      switch byte {
      case 0x0A:
        if lastWasCarriageReturn {
          lastWasCarriageReturn = false
          continue
        }
        endLine(into: &events)
      case 0x0D:
        lastWasCarriageReturn = true
        endLine(into: &events)
      default:
        lastWasCarriageReturn = false
        guard line.count < maximumEventBytes else {
          overflowed = true
          continue
        }
        line.append(byte)
      }
    }
    return events
  }

  private mutating func endLine(into events: inout [ServerSentEvent]) {
    defer { line.removeAll(keepingCapacity: true) }
    // A UTF-8 byte order mark may open the stream; it is not part of the first line.
    if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
    guard !line.isEmpty else {
      dispatch(into: &events)
      return
    }
    if line.first == UInt8(ascii: ":") { return }
    let colon = line.firstIndex(of: UInt8(ascii: ":"))
    let field = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
    var value = colon.map { line[($0 + 1)...] } ?? []
    if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
    switch field {
    case "data":
      guard data.count + value.count < maximumEventBytes else {
        overflowed = true
        return
      }
      if hasData { data.append(0x0A) }
      data.append(contentsOf: value)
      hasData = true
    case "event":
      eventName = String(decoding: value, as: UTF8.self)
    case "id":
      lastID = String(decoding: value, as: UTF8.self)
    default:
      break  // `retry:` and unknown fields are ignored
    }
  }

  private mutating func dispatch(into events: inout [ServerSentEvent]) {
    defer {
      data.removeAll(keepingCapacity: true)
      hasData = false
      eventName = nil
    }
    guard hasData else { return }
    events.append(ServerSentEvent(event: eventName, data: String(decoding: data, as: UTF8.self), id: lastID))
  }
}
