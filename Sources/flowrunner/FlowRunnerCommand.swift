import ArgumentParser
import FlowRunnerServer
import Foundation
import JSONRPC

/// The `flowrunner` command line: `serve` (the default) runs the JSON-RPC engine on stdio.
@main
struct FlowRunnerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "flowrunner",
    abstract: "Runs prompt-processing node graphs; speaks JSON-RPC 2.0 on stdio.",
    version: ServerInfo.version,
    subcommands: [ServeCommand.self, RunCommand.self, ValidateCommand.self, NodesCommand.self],
    defaultSubcommand: ServeCommand.self)

  /// Parses and runs the command with the documented exit codes: failures the commands report
  /// themselves print one sentence (and a JSON error object under `--json`); bad usage exits 2.
  static func main() async {
    let json = CommandLine.arguments.contains("--json")
    do {
      var command = try parseAsRoot()
      if var asynchronous = command as? any AsyncParsableCommand {
        try await asynchronous.run()
      } else {
        try command.run()
      }
    } catch let failure as CommandLineFailure {
      failure.report(json: json)
    } catch {
      guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
      let message = message(for: error)
      CommandLineFailure(message, error: ResponseError(code: .invalidParams, message: message)).report(json: json)
    }
  }
}
