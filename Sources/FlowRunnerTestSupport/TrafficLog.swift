import Foundation
import JSON
import Signals

/// With `FLOWRUNNER_TRAFFIC_DIR` set, each engine a test talks to gets one NDJSON file there:
/// every message the engine wrote (`{"in": message}`) and the method of every request sent with
/// ``EnginePeer/request(_:id:params:framing:)`` (`{"out": {"id", "method"}}`), so
/// `Tests/Interop/test_schema.py` can validate all the traffic of the suite against
/// `schema/flowrunner.schema.json`.
final class TrafficLog: Sendable {
  private let handle: Locked<FileHandle>

  private static let directory = ProcessInfo.processInfo.environment["FLOWRUNNER_TRAFFIC_DIR"]
  private static let counter = Locked(0)

  /// A log for one engine, or `nil` when no directory is set.
  static func make() -> TrafficLog? {
    guard let directory = directory, !directory.isEmpty else { return nil }
    let number = counter.withLock { count -> Int in
      count += 1
      return count
    }
    let path = "\(directory)/\(getpid())-\(number).ndjson"
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
    else { return nil }
    return TrafficLog(handle: handle)
  }

  private init(handle: FileHandle) { self.handle = Locked(handle) }

  deinit { handle.withLock { try? $0.close() } }

  /// Records a message the engine wrote.
  func received(_ message: JSONValue) {
    write(["in": message])
  }

  /// Records the method of a request sent.
  func sent(id: JSONValue, method: String) {
    write(["out": ["id": id, "method": .string(method)]])
  }

  private func write(_ entry: JSONValue) {
    let line = Data((entry.description + "\n").utf8)
    handle.withLock { $0.write(line) }
  }
}
