import FlowExecution
import FlowGraph
import FlowProviders
import JSONRPC
import Logging

extension FlowRunnerServer {
  /// The provider ids flows may name.
  static let knownProviders = Set(ProviderDescriptor.all.map(\.id))

  /// Decodes and validates `execution.start` / `flow.validate` params.
  static func validate(_ reader: ParamsReader) throws(ResponseError) -> FlowValidation {
    FlowValidation(try Flow(reading: reader), knownProviders: knownProviders)
  }

  static func unknownRun(_ runID: String) -> ResponseError {
    ResponseError(
      code: .unknownRun, message: "No run '\(runID)': it is unknown, or ended before the last 100 ended runs kept.")
  }

  /// `execution.start`: validate, answer the run id, and start the run once that answer is queued,
  /// so the response always precedes the run's first notification.
  func startExecution(_ request: Request, reply: Reply) throws(ResponseError) {
    let reader = try ParamsReader(request.params)
    let options = try RunOptions(reading: reader.object("options"))
    let validation = try Self.validate(reader)
    guard validation.isValid else {
      let count = validation.issues.count
      throw .invalidParams(
        "The flow is invalid: \(count) issue\(count == 1 ? "" : "s") (see data.issues); first: \(validation.issues[0].message)",
        data: ["issues": validation.issuesJSON])
    }
    let prepared = runs.prepare(validation, options: options, services: services)
    logger.debug("Run \(prepared.runID) of flow '\(validation.index.flow.flowID)': \(validation.plan!.nodes.count) nodes.")
    reply.succeed(["run_id": .string(prepared.runID)])
    reply.afterDelivery { [runs] in runs.start(prepared) }
  }
}
