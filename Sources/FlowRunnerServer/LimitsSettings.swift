import FlowExecution

/// The `limits` settings: how much output nodes and runs may produce and how much memory the
/// remembered (ended) runs may hold. Every field is optional so sources can be layered.
public struct LimitsSettings: Sendable, Hashable {
  /// `max_output_bytes`: one node's output.
  public var maxOutputBytes: Int?
  /// `max_run_output_bytes`: one run's outputs together.
  public var maxRunOutputBytes: Int?
  /// `max_remembered_bytes`: the outputs of the ended runs kept for `execution.status`.
  public var maxRememberedBytes: Int?

  /// Allowed `max_remembered_bytes` values: 1 MiB to 64 GiB.
  public static let rememberedRange = (1 << 20)...(64 << 30)
  /// The default `max_remembered_bytes`: 256 MiB.
  public static let defaultRememberedBytes = 256 << 20

  /// Limits with the given fields.
  public init(maxOutputBytes: Int? = nil, maxRunOutputBytes: Int? = nil, maxRememberedBytes: Int? = nil) {
    self.maxOutputBytes = maxOutputBytes
    self.maxRunOutputBytes = maxRunOutputBytes
    self.maxRememberedBytes = maxRememberedBytes
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: LimitsSettings) -> LimitsSettings {
    LimitsSettings(
      maxOutputBytes: higher.maxOutputBytes ?? maxOutputBytes,
      maxRunOutputBytes: higher.maxRunOutputBytes ?? maxRunOutputBytes,
      maxRememberedBytes: higher.maxRememberedBytes ?? maxRememberedBytes)
  }

  /// The limits runs are held to.
  public var runLimits: RunLimits {
    let defaults = RunLimits()
    return RunLimits(
      maxOutputBytes: maxOutputBytes ?? defaults.maxOutputBytes,
      maxRunOutputBytes: maxRunOutputBytes ?? defaults.maxRunOutputBytes)
  }
}
