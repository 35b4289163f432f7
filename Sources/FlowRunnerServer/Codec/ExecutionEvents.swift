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

  /// The answer for a run held in memory: each event is written by the same encoder as the
  /// notification it was, so its `params` are those that were sent.
  static func encode(_ page: RunEventPage) -> JSONValue {
    encode(runID: page.runID, bodies: page.events.map { RunEventEncoder.encode(runID: page.runID, $0)[...] }, ended: page.ended)
  }

  /// The answer for notification bodies as sent (from memory or the journal): each body read
  /// back, its `method` and `params` kept.
  static func encode(runID: String, bodies: [ArraySlice<UInt8>], ended: Bool) -> JSONValue {
    var events: [JSONValue] = []
    events.reserveCapacity(bodies.count)
    for body in bodies {
      guard case .object(let notification)? = try? JSONParser.parse(Array(body)) else { continue }
      events.append(["method": notification["method"] ?? .null, "params": notification["params"] ?? .null])
    }
    return ["run_id": .string(runID), "events": .array(events), "ended": .bool(ended)]
  }
}
