import FlowProviders
import JSONRPC

/// A prompt template's output: the messages to send, and the template's identity for the cache key.
public struct PromptTemplate: Sendable, Hashable {
  /// The template name (`enhance`, `translate`, ...).
  public var name: String
  /// The version; changing a template's wording changes it.
  public var version: String
  /// The messages, system first.
  public var messages: [ChatMessage]
}

/// The text templates of nodes.md, as versioned functions returning OpenAI-format messages.
public enum PromptTemplates {
  /// `enhance(text, notes?)`.
  public static func enhance(_ text: String, notes: String?) -> PromptTemplate {
    var user = text
    if let notes, !notes.isEmpty { user += "\n\nNotes: \(notes)" }
    return PromptTemplate(
      name: "enhance", version: "1",
      messages: [
        .system(
          "You improve prompts for image and text generation. Make the prompt vivid and specific, keep its intent, and answer with the improved prompt only."
        ),
        .user(user),
      ])
  }

  /// `translate(text, language_name)`.
  public static func translate(_ text: String, languageName: String) -> PromptTemplate {
    PromptTemplate(
      name: "translate", version: "1",
      messages: [
        .system(
          "You are a translator. Translate the user's text into \(languageName). Keep the meaning, tone and formatting. Answer with the translation only."
        ),
        .user(text),
      ])
  }

  /// `storyteller(text, tags?)`.
  public static func storyteller(_ text: String, tags: [String]) -> PromptTemplate {
    let themes = tags.isEmpty ? "" : " Weave in these themes: \(tags.joined(separator: ", "))."
    return PromptTemplate(
      name: "storyteller", version: "1",
      messages: [
        .system("You are a storyteller. Write a short story based on the user's prompt.\(themes) Answer with the story only."),
        .user(text),
      ])
  }

  /// `grammar_fix(text, style?)`.
  public static func grammarFix(_ text: String, style: String?) -> PromptTemplate {
    let register = style.map { $0.isEmpty ? "" : " Keep a \($0) style." } ?? ""
    return PromptTemplate(
      name: "grammar_fix", version: "1",
      messages: [
        .system(
          "Correct the spelling, grammar and punctuation of the user's text without changing its meaning.\(register) Answer with the corrected text only."
        ),
        .user(text),
      ])
  }

  /// `compress(text)`.
  public static func compress(_ text: String) -> PromptTemplate {
    PromptTemplate(
      name: "compress", version: "1",
      messages: [
        .system(
          "Rewrite the user's text as briefly as possible without losing anything a reader needs. Answer with the shortened text only."
        ),
        .user(text),
      ])
  }

  /// `inject_persona(personas, prompt_text)`.
  public static func injectPersona(_ personas: [JSONObject], prompt: String) -> PromptTemplate {
    PromptTemplate(
      name: "inject_persona", version: "1",
      messages: [
        .system(
          "You rewrite prompts so that they feature the given characters, described consistently with the details given. Keep the scene and intent. Answer with the rewritten prompt only."
        ),
        .user("Characters:\n\(describe(personas))\n\nPrompt:\n\(prompt)"),
      ])
  }

  /// `replace(description, personas)`.
  public static func replace(_ description: String, personas: [JSONObject]) -> PromptTemplate {
    PromptTemplate(
      name: "replace", version: "1",
      messages: [
        .system(
          "Replace the generic characters in the description (a man, a woman, a child, a figure) with the given characters, using their names and details. Change nothing else. Answer with the new description only."
        ),
        .user("Characters:\n\(describe(personas))\n\nDescription:\n\(description)"),
      ])
  }

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
