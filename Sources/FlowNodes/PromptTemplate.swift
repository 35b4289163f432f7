import FlowExecution
import FlowGraph
import FlowProviders
import JSON

/// A prompt template's output: the messages to send, and the template's identity for the cache key.
public struct PromptTemplate: Sendable, Hashable {
  /// A template's name and version.
  public struct Identity: Sendable, Hashable {
    /// The template name (`enhance`, `translate`, ...).
    public var name: String
    /// The version; changing a template's wording changes it.
    public var version: String

    /// An identity.
    public init(name: String, version: String) {
      self.name = name
      self.version = version
    }
  }

  /// Which template, in which version.
  public var identity: Identity
  /// The messages, system first.
  public var messages: [ChatMessage]

  /// A template's output.
  public init(_ identity: Identity, messages: [ChatMessage]) {
    self.identity = identity
    self.messages = messages
  }

  /// The template name.
  public var name: String { identity.name }

  /// Personas as lines: `- Name: description (key: value; …)`.
  static func describe(_ personas: [JSONObject]) -> String {
    personas.map { persona in
      let name = persona["name"]?.stringValue ?? "Unnamed"
      let description = persona["description"]?.stringValue ?? ""
      let extras = persona.members.filter { $0.key != "name" && $0.key != "description" }
        .compactMap { member in member.value.stringValue.map { "\(member.key): \($0)" } }
      return "- \(name): \(description)" + (extras.isEmpty ? "" : " (\(extras.joined(separator: "; ")))")
    }.joined(separator: "\n")
  }
}

extension NodeContext {
  /// Sends a rendered template to the node's provider; the template's name and version are
  /// part of the cache key.
  public func callProvider(_ template: PromptTemplate, use: ModelResolver.Use = .chat) async throws -> NodeOutput {
    try await callProvider(
      template.messages, template: "\(template.identity.name)@\(template.identity.version)", use: use)
  }
}
