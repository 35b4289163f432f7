import Foundation
import JSON
import JSONRPC

/// The repository's `Fixtures/` folder and helpers to read it.
public enum FixtureFiles {
  /// `Fixtures/` at the package root.
  public static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  /// The valid flows in `Fixtures/flows`, by name (file name without `.json`).
  public static var validFlows: [String] {
    // A missing folder must not turn the parameterised tests into no tests at all.
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("flows").path) else {
      preconditionFailure("Fixtures/flows is missing at \(root.path)")
    }
    return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
  }

  /// The invalid flows in `Fixtures/flows/invalid`, by name.
  public static var invalidFlows: [String] {
    guard
      let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("flows/invalid").path)
    else { preconditionFailure("Fixtures/flows/invalid is missing at \(root.path)") }
    return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".issues.json") }.map { String($0.dropLast(5)) }.sorted()
  }

  /// Parses a JSON file under `Fixtures/`.
  public static func json(_ relativePath: String) throws -> JSONValue {
    let data = try Data(contentsOf: root.appendingPathComponent(relativePath))
    return try JSONParser.parse([UInt8](data))
  }

  /// Parses an NDJSON file under `Fixtures/`.
  public static func ndjson(_ relativePath: String) throws -> [JSONValue] {
    let text = try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
  }

  /// A notification with `run_id` and `duration_ms` normalised, as golden logs store them.
  public static func normalized(_ notification: JSONValue) -> JSONValue {
    guard case .object(var message) = notification, case .object(var params)? = message["params"] else { return notification }
    params["run_id"] = "RUN"
    if params["duration_ms"] != nil { params["duration_ms"] = 0 }
    message["params"] = .object(params)
    return .object(message)
  }
}

extension EnginePeer {
  /// Reads notifications of one run until its terminal one; other messages are returned apart.
  public func collectRun(_ runID: String, timeout: Duration = .seconds(20)) async throws -> (run: [JSONValue], other: [JSONValue])
  {
    var run: [JSONValue] = []
    var other: [JSONValue] = []
    let terminals: Set = ["execution.completed", "execution.failed", "execution.cancelled"]
    while true {
      let message = try await next(timeout: timeout)
      guard message["params"]?["run_id"]?.stringValue == runID else {
        other.append(message)
        continue
      }
      run.append(message)
      if let method = message["method"]?.stringValue, terminals.contains(method) { return (run, other) }
    }
  }

  /// Reads until every run in `runIDs` has ended; returns each run's notifications (other
  /// messages are dropped).
  public func collectRuns(_ runIDs: Set<String>, timeout: Duration = .seconds(20)) async throws -> [String: [JSONValue]] {
    var runs: [String: [JSONValue]] = [:]
    var ended = Set<String>()
    let terminals: Set = ["execution.completed", "execution.failed", "execution.cancelled"]
    while ended != runIDs {
      let message = try await next(timeout: timeout)
      guard let runID = message["params"]?["run_id"]?.stringValue, runIDs.contains(runID) else { continue }
      runs[runID, default: []].append(message)
      if let method = message["method"]?.stringValue, terminals.contains(method) { ended.insert(runID) }
    }
    return runs
  }
}
