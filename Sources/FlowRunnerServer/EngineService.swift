import FlowProviders
import JSONRPC
import Logging
import ServiceLifecycle
import Signals
import UnixSignals

/// The engine as the one structured root of a serving process: a swift-service-lifecycle
/// `Service` that serves until `exit` or the end of input, or, on a graceful shutdown
/// (SIGTERM, SIGINT), stops reading, cancels live runs and lets their terminal notifications
/// out. It then flushes the output and shuts the shared HTTP client down.
public final class EngineService: Service {
  private let server: FlowRunnerServer
  private let transport: HTTPTransport
  private let code = Locked<Int32>(1)

  /// The service for a server; `transport` is the HTTP client its providers share.
  public init(server: FlowRunnerServer, transport: HTTPTransport = .shared) {
    self.server = server
    self.transport = transport
  }

  /// The process's exit code once ``run()`` has returned: 0 after `shutdown` or a graceful
  /// shutdown, 1 otherwise.
  public var exitCode: Int32 { code.withLock { $0 } }

  public func run() async {
    server.start()
    let exitCode = await withGracefulShutdownHandler {
      await server.waitForExit()
    } onGracefulShutdown: { [server] in
      server.terminate()
    }
    code.withLock { $0 = exitCode }
    await server.closePersistence(timeout: .seconds(1))
    await server.connection.writer.flush(timeout: .milliseconds(500))
    await transport.shutdown()
  }

  /// Runs a server as a service group's only service, with SIGTERM and SIGINT as graceful
  /// shutdown signals; returns the exit code.
  public static func serve(_ server: FlowRunnerServer, logger: Logger) async throws -> Int32 {
    let service = EngineService(server: server)
    var groupLogger = logger
    groupLogger.logLevel = max(logger.logLevel, .notice)
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: groupLogger))
    try await group.run()
    return service.exitCode
  }
}
