/// A provider and model chosen for a node type when the node names none.
public struct ModelDefault: Sendable, Hashable {
  /// The provider id.
  public var providerID: String
  /// The model, or `nil` for the provider's default model.
  public var model: String?

  /// A default with a provider and an optional model.
  public init(providerID: String, model: String? = nil) {
    self.providerID = providerID
    self.model = model
  }
}
