/// The engine's name and versions as reported to clients.
public enum ServerInfo {
  /// The engine's name.
  public static let name = "flowrunner"
  /// The engine's version.
  public static let version = "0.1.0"
  /// The version of the wire contract implemented.
  public static let protocolVersion = "1.1"
}
