import ArgumentParser
import FlowExecution
import FlowProviders
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC
import Logging

/// Options every subcommand shares: logging and settings.
struct CommonOptions: ParsableArguments {
  @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error or critical.")
  var logLevel: LogLevel = .info

  @Option(help: "A JSON settings file shaped like the initialize params (providers, model_defaults, cache).")
  var config: String?

  /// Sends swift-log output to stderr at the chosen level, through a writer that never blocks
  /// the engine (lines are dropped and counted while nobody reads stderr), and returns a logger.
  func bootstrapLogging(label: String) -> Logger {
    let level = logLevel.level
    LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level) }
    return Logger(label: label)
  }

  /// The environment's settings with the config file's on top.
  func loadBaseSettings() throws(CommandLineFailure) -> EngineSettings {
    let environment = ProcessInfo.processInfo.environment
    for descriptor in ProviderDescriptor.all {
      for variable in descriptor.apiKeyVariables where environment[variable].map(APIKey.hasControlCharacters) == true {
        FileHandle.standardError.write(
          Data(
            "flowrunner: \(variable) holds a control character and is ignored (\(descriptor.id) counts as not configured).\n"
              .utf8))
      }
    }
    var fromEnvironment = EngineSettings(providers: .fromEnvironment(environment))
    // Quotas for a fleet of engines started by one supervisor: JSON shaped like `quotas`.
    if let quotas = environment["FLOWRUNNER_QUOTAS"], !quotas.isEmpty {
      do {
        let json = try JSONParser.parse(Array(quotas.utf8))
        fromEnvironment.quotas = try QuotaSettings(reading: ParamsReader(json, path: "FLOWRUNNER_QUOTAS"))
      } catch let error as ResponseError {
        throw CommandLineFailure("FLOWRUNNER_QUOTAS is invalid: \(error.message)", error: error)
      } catch {
        throw CommandLineFailure("FLOWRUNNER_QUOTAS is not JSON: \(error).")
      }
    }
    guard let config else { return fromEnvironment }
    let bytes = try CommandLineFile.read(config, what: "config file")
    do {
      let json = try JSONParser.parse(bytes)
      let fromFile = try EngineSettings(reading: ParamsReader(json, path: "config"))
      return fromEnvironment.overlaid(with: fromFile)
    } catch let error as JSONParseError {
      throw CommandLineFile.malformed(config, bytes, error)
    } catch let error as ResponseError {
      throw CommandLineFailure("The config file \(config) is invalid: \(error.message)", error: error)
    } catch {
      throw CommandLineFailure("The config file \(config) is invalid: \(error).")
    }
  }
}

/// The `--log-level` values, mapped onto swift-log's levels.
enum LogLevel: String, CaseIterable, ExpressibleByArgument {
  case trace, debug, info, notice, warning, error, critical

  var level: Logger.Level {
    switch self {
    case .trace: .trace
    case .debug: .debug
    case .info: .info
    case .notice: .notice
    case .warning: .warning
    case .error: .error
    case .critical: .critical
    }
  }
}
