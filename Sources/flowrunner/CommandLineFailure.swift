import ArgumentParser
import Foundation
import JSON
import JSONRPC

/// A failure the command line reports itself: one sentence on stderr (no usage text), the same
/// as a JSON-RPC error object on stdout under `--json`, and an exit code.
///
/// Exit codes: 0 completed, 1 the flow failed or is invalid, 2 bad usage or an unreadable or
/// malformed file, 130 cancelled.
struct CommandLineFailure: Error {
  /// The exit code for usage errors and unreadable or malformed files.
  static let usageCode: Int32 = 2
  /// The exit code for invalid flows and failed runs.
  static let flowCode: Int32 = 1

  var message: String
  var code: Int32
  /// The error object printed under `--json`: `{"error": {code, message, data?}}`.
  var error: ResponseError

  init(_ message: String, code: Int32 = usageCode, error: ResponseError? = nil) {
    self.message = message
    self.code = code
    self.error = error ?? ResponseError(code: .invalidParams, message: message)
  }

  /// Prints the failure and exits.
  func report(json: Bool) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    if json {
      let object: JSONValue = ["error": error.json]
      FileHandle.standardOutput.write(Data((object.description + "\n").utf8))
    }
    exit(code)
  }
}

/// Reading a file the command line was given: the OS's reason when it cannot be read, and
/// `path:line:column` for JSON that does not parse.
enum CommandLineFile {
  /// The file's bytes, or a failure naming the file and the OS's reason.
  static func read(_ path: String, what: String) throws(CommandLineFailure) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw unreadable(path, what: what, errno: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw unreadable(path, what: what, errno: errno)
      }
      if count == 0 { break }
      bytes += chunk[0..<count]
    }
    return bytes
  }

  private static func unreadable(_ path: String, what: String, errno code: Int32) -> CommandLineFailure {
    let reason = String(cString: strerror(code))
    return CommandLineFailure(
      "Cannot read the \(what) \(path): \(reason).",
      error: ResponseError(code: .invalidParams, message: "Cannot read the \(what): \(reason)."))
  }

  /// A failure for bytes that are not JSON: `path:line:column: reason`.
  static func malformed(_ path: String, _ bytes: [UInt8], _ error: JSONParseError) -> CommandLineFailure {
    let (line, column) = position(of: error.offset, in: bytes)
    return CommandLineFailure(
      "\(path):\(line):\(column): \(error.reason).",
      error: ResponseError(code: .parseError, message: "Line \(line), column \(column): \(error.reason)."))
  }

  /// The 1-based line and column (in characters) of a byte offset.
  static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
    let upTo = bytes.prefix(max(0, min(offset, bytes.count)))
    let line = upTo.count { $0 == 0x0A } + 1
    let lineStart = upTo.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
    let column = String(decoding: upTo[lineStart...], as: UTF8.self).count + 1
    return (line, column)
  }
}

/// "1 node", "2 nodes".
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
  "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}
