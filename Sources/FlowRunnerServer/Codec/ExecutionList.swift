import FlowExecution
import JSON
import JSONRPC

/// `execution.list`: `{state?, quota_key?, limit?}` → `{runs: [{run_id, flow_id, state, total,
/// done, duration_ms, quota_key?}]}`: live runs, then remembered ended runs, most recent first.
enum ExecutionListMethod: RequestCodec {
  struct Params {
    var state: RunState?
    var quotaKey: String?
    var limit: Int
  }

  static let method = "execution.list"
  static let positionalNames = ["state", "limit", "quota_key"]
  /// The most runs one answer lists.
  static let limitRange = 1...100_000

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params {
    let reader = try reader(params)
    let state = try reader.string("state", oneOf: RunState.allCases.map(\.rawValue)).flatMap(RunState.init(rawValue:))
    return Params(
      state: state, quotaKey: try reader.string("quota_key"),
      limit: try reader.int("limit", in: limitRange) ?? limitRange.upperBound)
  }

  static func encode(_ runs: [RunSummary]) -> JSONValue {
    [
      "runs": .array(
        runs.map { run in
          var entry: JSONObject = [
            "run_id": .string(run.runID), "flow_id": .string(run.flowID), "state": .string(run.state.rawValue),
            "total": .int(run.total), "done": .int(run.done), "duration_ms": .int(run.durationMS),
          ]
          if let quotaKey = run.quotaKey { entry["quota_key"] = .string(quotaKey) }
          return .object(entry)
        })
    ]
  }
}
