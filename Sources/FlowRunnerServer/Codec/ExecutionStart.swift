import FlowExecution
import FlowGraph
import JSON
import JSONRPC

/// `execution.start`: the flow and its `options` → `{run_id}`. An invalid flow is `-32602`
/// with every issue in `data.issues`.
public enum ExecutionStartMethod: RequestCodec {
  struct Params {
    var flow: Flow
    var options: RunOptions
  }

  static let method = "execution.start"

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params {
    let (flow, options) = try FlowParams.decode(params?.raw)
    return Params(flow: flow, options: options)
  }

  /// ``decode(_:)`` reading a large flow's nodes and edges side by side.
  static func decodeConcurrently(_ params: MessageParams?) async throws(ResponseError) -> Params {
    let (flow, options) = try await FlowParams.decodeConcurrently(params?.raw)
    return Params(flow: flow, options: options)
  }

  static func encode(_ runID: String) -> JSONValue { ["run_id": .string(runID)] }

  /// The error for a start that created no run.
  static func error(_ error: RunStartError) -> ResponseError {
    switch error {
    case .invalidFlow(let issues): invalidFlow(issues)
    case .shuttingDown: .invalidRequest("The server is shutting down and starts no more runs.")
    case .runIDInUse(let runID):
      .invalidParams("params.run_id '\(runID)' belongs to a run that is live or remembered; choose another id.")
    }
  }

  /// The `-32602` for a flow with errors (the command line prints it under `--json`).
  public static func invalidFlowError(_ issues: [ValidationIssue]) -> ResponseError { invalidFlow(issues) }

  /// The `-32602` for a flow with errors: the count and the first error in the message, every
  /// issue (warnings too) in `data.issues`.
  static func invalidFlow(_ issues: [ValidationIssue]) -> ResponseError {
    let errors = issues.filter { $0.severity == .error }
    let count = errors.count
    let first = errors.first?.message ?? "no details."
    return .invalidParams(
      "The flow is invalid: \(count) error\(count == 1 ? "" : "s") (see data.issues); first: \(first)",
      data: ["issues": FlowValidateMethod.encode(issues)])
  }
}
