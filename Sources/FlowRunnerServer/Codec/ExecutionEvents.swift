import FlowExecution
import JSON
import JSONRPC

/// `execution.events`: `{run_id, after_seq?, limit?}` → `{run_id, events: [{method, params}],
/// ended}`: the run's notifications with `seq` above `after_seq`, exactly as they were sent.
enum ExecutionEventsMethod: RequestCodec {
  struct Params {
    var runID: String
    var afterSeq: Int
    var limit: Int
  }

  static let method = "execution.events"
  static let positionalNames = ["run_id", "after_seq", "limit"]
  /// The most events one answer holds.
  static let limitRange = 1...10_000_000

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params {
    let reader = try reader(params)
    return Params(
      runID: try reader.requiredString("run_id"), afterSeq: try reader.int("after_seq", minimum: 0) ?? 0,
      limit: try reader.int("limit", in: limitRange) ?? limitRange.upperBound)
  }

  /// Each event is written by the same encoder as the notification it was, then read back, so
  /// its `params` are those that were sent, byte for byte in meaning.
  static func encode(_ page: RunEventPage) -> JSONValue {
    var events: [JSONValue] = []
    events.reserveCapacity(page.events.count)
    for sent in page.events {
      let body = RunEventEncoder.encode(runID: page.runID, sent)
      guard case .object(let notification)? = try? JSONParser.parse(body) else { continue }
      events.append(["method": notification["method"] ?? .null, "params": notification["params"] ?? .null])
    }
    return ["run_id": .string(page.runID), "events": .array(events), "ended": .bool(page.ended)]
  }
}
