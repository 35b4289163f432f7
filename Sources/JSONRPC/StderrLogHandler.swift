import Foundation
import Logging

/// A swift-log handler that formats like `StreamLogHandler` and writes through
/// ``StderrWriter``, so logging never blocks the engine.
public struct StderrLogHandler: LogHandler {
  private let label: String
  private let writer: StderrWriter
  /// Metadata added to every message.
  public var metadata: Logger.Metadata = [:]
  /// The lowest level logged.
  public var logLevel: Logger.Level

  /// A handler for a logger label.
  public init(label: String, level: Logger.Level, writer: StderrWriter = .shared) {
    self.label = label
    self.logLevel = level
    self.writer = writer
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    let details = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
    writer.write(line: "\(Self.timestamp()) \(event.level) \(label):\(details) \(event.message)")
  }

  private static func timestamp() -> String {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var buffer = [Int8](repeating: 0, count: 32)
    let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
