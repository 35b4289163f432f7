import FlowImages
import FlowProviders
import Foundation

/// What provider-calling executors need: settings, model defaults, and the provider clients.
public struct ExecutionServices: Sendable {
  /// Provider settings (credentials decide which providers count as configured).
  public var providers: ProviderConfiguration
  /// Model defaults by node type (the node kits' defaults with the settings' overrides on top).
  public var modelDefaults: [String: ModelDefault]
  /// The clients that can be called.
  public var clients: ProviderClients
  /// How much output nodes and runs may produce.
  public var limits: RunLimits
  /// Provider replies by input hash, shared by every run (`nil`: no cache).
  public var cache: ResponseCache?
  /// How images are taken in and written out.
  public var images: ImageSettings
  /// The run's budget and quota, when it has any.
  public var gate: RunGate?

  /// Services with the given parts.
  public init(
    providers: ProviderConfiguration = .init(), modelDefaults: [String: ModelDefault] = [:], clients: ProviderClients? = nil,
    limits: RunLimits = RunLimits(), cache: ResponseCache? = nil, images: ImageSettings = ImageSettings()
  ) {
    self.cache = cache
    self.images = images
    self.providers = providers
    self.modelDefaults = modelDefaults
    self.clients = clients ?? ProviderClients(configuration: providers)
    self.limits = limits
  }
}

/// How a run takes images in and writes them out.
public struct ImageSettings: Sendable, Hashable {
  /// Sizes and byte counts images must stay within; `maxSide` is what vision models get.
  public var limits: ImageLimits
  /// Whether client-supplied URLs may point at loopback, private or link-local addresses.
  public var allowPrivateNetworks: Bool
  /// Where `options.images: "file"` writes images (absolute).
  public var artifactsDirectory: String

  /// Settings with the engine's defaults: the default limits, public URLs only, and the
  /// per-user cache directory's `flowrunner/artifacts`.
  public init(
    limits: ImageLimits = ImageLimits(), allowPrivateNetworks: Bool = false,
    artifactsDirectory: String = ImageSettings.defaultArtifactsDirectory
  ) {
    self.limits = limits
    self.allowPrivateNetworks = allowPrivateNetworks
    self.artifactsDirectory = artifactsDirectory
  }

  /// `$XDG_CACHE_HOME/flowrunner/artifacts`, else `~/.cache/flowrunner/artifacts`, else
  /// `/tmp/flowrunner-artifacts`.
  public static var defaultArtifactsDirectory: String {
    let environment = ProcessInfo.processInfo.environment
    if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/flowrunner/artifacts" }
    if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/flowrunner/artifacts" }
    return "/tmp/flowrunner-artifacts"
  }
}
