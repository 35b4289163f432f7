import FlowProviders

/// `execution.start` options.
public struct RunOptions: Sendable, Hashable {
  /// How the server-side cache is used.
  public enum CacheMode: String, Sendable, CaseIterable {
    case use, refresh, off
  }

  /// Which notifications a run sends.
  public enum EventDetail: String, Sendable, CaseIterable {
    /// Every notification.
    case all
    /// No `pending` or `running` statuses (deltas only with `stream`).
    case nodes
    /// Only `execution.started` and the terminal notification.
    case terminal
  }

  /// Which outputs the terminal notification repeats.
  public enum TerminalOutputs: String, Sendable, CaseIterable {
    /// Every completed node's output.
    case all
    /// Only those of nodes with no outgoing edge.
    case sinks
    /// None (`outputs` is `{}`).
    case none
  }

  /// How images in outputs reach the client.
  public enum ImageDelivery: String, Sendable, CaseIterable {
    /// In the notification, as `base64`.
    case inline
    /// Written once, content-addressed, under `artifacts_dir`; the notification gives `path`.
    case file
  }

  /// Nodes of the run executing at once.
  public var maxConcurrency: Int
  /// Whether to send `execution.node.delta`.
  public var stream: Bool
  /// Cache use.
  public var cache: CacheMode
  /// A run still live after this many seconds ends with `run_timeout`.
  public var timeoutSeconds: Double?
  /// Which notifications are sent.
  public var events: EventDetail = .all
  /// Which outputs the terminal notification repeats.
  public var terminalOutputs: TerminalOutputs = .all
  /// How output images are delivered.
  public var images: ImageDelivery = .inline
  /// The backend's user the run counts against (`quota_key`).
  public var quotaKey: String?
  /// The run's spending limits (`options.budget`).
  public var budget = RunBudget()
  /// Run-scoped provider settings (`options.providers`): keys, base URLs and default models
  /// for this run only. Never logged, echoed, journaled or part of a cache key.
  public var providers = ProviderConfiguration()
  /// The id the client chose for the run (`execution.start`'s `run_id`); `nil`: the engine
  /// chooses one.
  public var runID: String?

  /// Whether `id` is a run id a client may choose: 1 to 128 characters of `A`–`Z`, `a`–`z`,
  /// `0`–`9`, `.`, `_`, `:` and `-`.
  public static func isValidRunID(_ id: String) -> Bool {
    let utf8 = id.utf8
    guard (1...128).contains(utf8.count) else { return false }
    return utf8.allSatisfy { byte in
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
        UInt8(ascii: "-"):
        true
      default: false
      }
    }
  }

  /// Allowed `max_concurrency` values.
  public static let maxConcurrencyRange = 1...10_000
  /// Allowed `timeout_seconds` values: a millisecond to a year.
  public static let timeoutRange = 0.001...31_536_000.0

  /// Options with the protocol's defaults.
  public init(maxConcurrency: Int = 32, stream: Bool = false, cache: CacheMode = .use, timeoutSeconds: Double? = nil) {
    self.maxConcurrency = maxConcurrency
    self.stream = stream
    self.cache = cache
    self.timeoutSeconds = timeoutSeconds
  }
}
