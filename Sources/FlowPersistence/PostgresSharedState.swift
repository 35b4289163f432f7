import Foundation
import Logging
import PostgresNIO
import Signals

/// A connection pool to the PostgreSQL database that several engine processes share
/// (`shared_state.postgres_url`), with the engine's outage policy: every operation has a time
/// limit; the first failure of an outage logs one warning and the store rests (operations
/// answer "nothing" at once meanwhile) for 2 s, doubled after each further failure up to 32 s;
/// the first success after it logs that the database is back.
public final class PostgresSharedState: Sendable {
  /// The database, as `postgres://user@host:port/database` (never with a password).
  public let location: String
  let client: PostgresClient
  private let runner: Task<Void, Never>
  let logger: Logger
  private let operationTimeout: Duration
  private let restAfterFailure: Duration
  private let health = Locked(Health())

  private struct Health {
    var restingUntil: ContinuousClock.Instant?
    var down = false
    /// Failures in a row: each doubles the rest, up to 16 times the first.
    var failures = 0
  }

  /// A pool for `url` (`postgres://` or `postgresql://`, optional `?sslmode=disable|prefer|require`);
  /// connections open on first use. Throws when the URL cannot be read.
  public init(
    url: String, logger: Logger, operationTimeout: Duration = .seconds(2), restAfterFailure: Duration = .seconds(2)
  ) throws(PostgresURLError) {
    let parsed = try PostgresURL(url)
    var configuration = PostgresClient.Configuration(
      host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password,
      database: parsed.database, tls: parsed.tls)
    configuration.options.connectTimeout = operationTimeout
    configuration.options.maximumConnections = 8
    let client = PostgresClient(configuration: configuration)
    self.client = client
    self.location = parsed.location
    self.logger = logger
    self.operationTimeout = operationTimeout
    self.restAfterFailure = restAfterFailure
    self.runner = Task { await client.run() }
  }

  /// Closes the pool's connections.
  public func close() async {
    runner.cancel()
    await runner.value
  }

  /// Runs `body` against the database within the time limit; `nil` when the store is resting
  /// after a failure, or the operation failed or took too long (which starts or extends an
  /// outage).
  func perform<Value: Sendable>(
    _ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> Value
  ) async -> Value? {
    let resting = health.withLock { health -> Bool in
      guard let until = health.restingUntil else { return false }
      return ContinuousClock.now < until
    }
    guard !resting else { return nil }
    do {
      let outcome = try await withThrowingTaskGroup(of: TimedOutcome<Value>.self) { [client, operationTimeout] group in
        group.addTask { .done(try await body(client)) }
        group.addTask {
          try await Task.sleep(for: operationTimeout)
          return .timedOut
        }
        defer { group.cancelAll() }
        return try await group.next() ?? .timedOut
      }
      switch outcome {
      case .done(let value):
        recovered()
        return value
      case .timedOut:
        failed(what, "no answer within \(operationTimeout)")
        return nil
      }
    } catch {
      failed(what, Self.describe(error))
      return nil
    }
  }

  private func failed(_ what: String, _ reason: String) {
    let firstOfOutage = health.withLock { health -> Bool in
      health.failures += 1
      health.restingUntil = ContinuousClock.now + restAfterFailure * (1 << min(health.failures - 1, 4))
      defer { health.down = true }
      return !health.down
    }
    if firstOfOutage {
      logger.warning(
        "The shared state at \(location) failed to \(what) (\(reason)); until the database answers again the cache is local and quotas follow quotas.on_store_error."
      )
    }
  }

  private func recovered() {
    let wasDown = health.withLock { health -> Bool in
      defer {
        health.down = false
        health.restingUntil = nil
        health.failures = 0
      }
      return health.down
    }
    if wasDown { logger.notice("The shared state at \(location) answers again; the cache is shared again.") }
  }

  /// A failure in a sentence without any query text or value.
  static func describe(_ error: any Error) -> String {
    if let error = error as? PSQLError {
      if let message = error.serverInfo?[.message] { return "\(error.code): \(message)" }
      return "\(error.code)"
    }
    return "\(error)"
  }
}

/// A database operation's value, or the end of its time limit.
private enum TimedOutcome<Value: Sendable>: Sendable {
  case done(Value)
  case timedOut
}

/// Why a `shared_state.postgres_url` cannot be used.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
  /// What is wrong, in a sentence (never with the password).
  public let description: String
}

/// The parts of a `postgres://user:password@host:port/database?sslmode=…` URL.
public struct PostgresURL: Sendable {
  var user: String
  var password: String?
  var host: String
  var port: Int
  var database: String
  var tls: PostgresClient.Configuration.TLS
  /// The database, without the password.
  public var location: String

  /// Reads a URL; the error says what is wrong without repeating it.
  public init(_ text: String) throws(PostgresURLError) {
    guard let components = URLComponents(string: text), let scheme = components.scheme,
      scheme == "postgres" || scheme == "postgresql"
    else {
      throw PostgresURLError(description: "it must be a postgres:// URL (postgres://user@host:5432/database)")
    }
    guard let user = components.user, !user.isEmpty else {
      throw PostgresURLError(description: "it names no user (postgres://user@host:5432/database)")
    }
    self.user = user
    self.password = components.password
    self.host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
    self.port = components.port ?? 5432
    let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
    self.database = path.isEmpty ? user : path
    let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
    switch mode {
    case "disable": tls = .disable
    case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
    case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
    default:
      throw PostgresURLError(description: "sslmode '\(mode)' is not one of disable, prefer, require")
    }
    self.location = "postgres://\(user)@\(host):\(port)/\(database)"
  }
}
