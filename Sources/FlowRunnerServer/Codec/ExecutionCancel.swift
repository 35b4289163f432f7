import FlowExecution
import JSON
import JSONRPC

/// `execution.cancel`: `{run_id}` → `{run_id, cancelled}`; an unknown run is `-32004`.
enum ExecutionCancelMethod: RequestCodec {
  static let method = "execution.cancel"
  static let positionalNames = ["run_id"]

  static func decode(_ params: MessageParams?) throws(ResponseError) -> String {
    try reader(params).requiredString("run_id")
  }

  static func encode(_ result: (runID: String, cancelled: Bool)) -> JSONValue {
    ["run_id": .string(result.runID), "cancelled": .bool(result.cancelled)]
  }
}

extension RunLookupError {
  /// The `-32004` for a run that is not known (any more).
  var responseError: ResponseError {
    switch self {
    case .unknownRun(let runID):
      ResponseError(
        code: .unknownRun,
        message:
          "No run '\(runID)': it is unknown, or no longer remembered (the engine keeps its last 100 ended runs, a journal its last max_runs)."
      )
    }
  }
}
