import ArgumentParser
import FlowGraph
import FlowRunnerServer
import JSON
import JSONRPC

/// `flowrunner validate FLOW.json`: reports every issue; exit 1 when the flow is invalid.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate", abstract: "Validate a flow file and print every issue; exits 1 when it is invalid.")

  @Argument(help: "The flow file (execution.start params as JSON).")
  var flowPath: String

  @Flag(help: "Print the flow.validate result as JSON.")
  var json = false

  func run() throws {
    let validation = try FlowFile(path: flowPath).validate()
    if json {
      print(FlowValidateMethod.encode(validation))
    } else if let plan = validation.plan {
      print("valid: \(counted(plan.nodes.count, "node")) to run in \(counted(plan.levels.count, "level"))")
      if !validation.issues.isEmpty { print(describe(validation.issues)) }
    } else {
      print(describe(validation.issues))
    }
    if !validation.isValid { throw ExitCode(1) }
  }
}
