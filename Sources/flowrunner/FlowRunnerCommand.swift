import ArgumentParser
import FlowRunnerServer

/// The `flowrunner` command line: `serve` (the default) runs the JSON-RPC engine on stdio.
@main
struct FlowRunnerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "flowrunner",
    abstract: "Runs prompt-processing node graphs; speaks JSON-RPC 2.0 on stdio.",
    version: ServerInfo.version,
    subcommands: [ServeCommand.self, RunCommand.self, ValidateCommand.self, NodesCommand.self],
    defaultSubcommand: ServeCommand.self)
}
