import FlowExecution
import JSON
import JSONRPC

/// `execution.list`: `{state?, limit?}` → `{runs: [{run_id, flow_id, state, total, done,
/// duration_ms}]}`: live runs, then remembered ended runs, most recent first.
enum ExecutionListMethod: RequestCodec {
  struct Params {
    var state: RunState?
    var limit: Int
  }

  static let method = "execution.list"
  static let positionalNames = ["state", "limit"]
  /// The most runs one answer lists.
  static let limitRange = 1...100_000

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params {
    let reader = try reader(params)
    let state = try reader.string("state", oneOf: RunState.allCases.map(\.rawValue)).flatMap(RunState.init(rawValue:))
    return Params(state: state, limit: try reader.int("limit", in: limitRange) ?? limitRange.upperBound)
  }

  static func encode(_ runs: [RunSummary]) -> JSONValue {
    [
      "runs": .array(
        runs.map { run in
          [
            "run_id": .string(run.runID), "flow_id": .string(run.flowID), "state": .string(run.state.rawValue),
            "total": .int(run.total), "done": .int(run.done), "duration_ms": .int(run.durationMS),
          ]
        })
    ]
  }
}
