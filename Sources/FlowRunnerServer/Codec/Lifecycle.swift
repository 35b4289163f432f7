import JSON
import JSONRPC

/// `shutdown`: cancels every live run, waits for their terminal notifications, answers `null`.
enum ShutdownMethod: RequestCodec {
  typealias Params = NoParams
  static let method = "shutdown"
  static func encode(_ result: Void) -> JSONValue { .null }
}

/// `ping`: `{}` at any time, also before `initialize` and after `shutdown`.
enum PingMethod: RequestCodec {
  typealias Params = NoParams
  static let method = "ping"
  static func encode(_ result: Void) -> JSONValue { .object([:]) }
}

/// The notifications the engine accepts from the client.
enum ClientNotification {
  /// `initialized`: accepted and ignored.
  static let initialized = "initialized"
  /// `exit`: ends the process, code 0 after `shutdown`, 1 without it.
  static let exit = "exit"
  /// `$/cancelRequest`: handled by the connection.
  static let cancelRequest = "$/cancelRequest"

  /// All of them.
  static let all = [initialized, exit, cancelRequest]
}
