import JSON

/// Checks a node's `data` against its fields: presence, JSON type, allowed values.
public enum DataValidation {
  /// Problems with `data` as phrases ("data.language is required", "data.width must be at least 1").
  public static func fieldProblems(_ data: JSONObject, fields: [DataField]) -> [String] {
    var problems: [String] = []
    for field in fields {
      guard let value = data[field.name], !value.isNull else {
        if field.required { problems.append("data.\(field.name) is required") }
        continue
      }
      if let problem = check(value, field: field) { problems.append("data.\(field.name) \(problem)") }
    }
    return problems
  }

  /// A phrase saying what is wrong with a present value, or `nil` when it is fine.
  public static func check(_ value: JSONValue, field: DataField) -> String? {
    switch field.type {
    case .string:
      guard case .string(let text) = value else { return "must be a string, not \(value.typeName)" }
      if field.required && text.isBlank { return "is empty" }
      if let allowed = field.values, !allowed.contains(text) {
        let shown = allowed.count > 12 ? allowed.prefix(12).joined(separator: ", ") + ", …" : allowed.joined(separator: ", ")
        return "'\(text.prefix(40))' is not one of \(shown)\(Suggestion.phrase(for: text, in: allowed))"
      }
    case .integer:
      guard let integer = value.intValue else { return "must be an integer, not \(value.typeName)" }
      if let minimum = field.minimum, integer < minimum { return "must be at least \(minimum)" }
    case .number:
      guard value.doubleValue != nil else { return "must be a number, not \(value.typeName)" }
    case .boolean:
      guard value.boolValue != nil else { return "must be a boolean, not \(value.typeName)" }
    case .stringArray:
      guard case .array(let elements) = value, elements.allSatisfy({ $0.stringValue != nil }) else {
        return "must be an array of strings"
      }
    case .objectArray:
      guard case .array(let elements) = value, elements.allSatisfy({ $0.objectValue != nil }) else {
        return "must be an array of objects"
      }
    case .image:
      switch value {
      case .object(let image) where image["base64"]?.stringValue != nil || image["path"]?.stringValue != nil:
        break
      case .string(let text)
      where text.hasPrefix("data:") || text.hasPrefix("/") || text.lowercased().hasPrefix("http://")
        || text.lowercased().hasPrefix("https://"):
        break
      default:
        return "must be an Image object (with base64 or path), a data: URL, an absolute file path or an http(s) URL"
      }
    }
    return nil
  }
}
