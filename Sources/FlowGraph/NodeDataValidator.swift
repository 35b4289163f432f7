import JSONRPC

/// Checks a node's `data` against its type's fields: presence, JSON type, allowed values.
enum NodeDataValidator {
  static func issues(for node: FlowNode, descriptor: NodeTypeDescriptor, knownProviders: Set<String>) -> [ValidationIssue] {
    var problems: [String] = []
    var issues: [ValidationIssue] = []
    let usesCharacters = descriptor.type == "consistentCharacter" && node.data["characters"] != nil
    for field in descriptor.dataFields {
      let value = node.data[field.name].flatMap { $0.isNull ? nil : $0 }
      guard let value else {
        if field.required && !(usesCharacters && (field.name == "name" || field.name == "description")) {
          problems.append("data.\(field.name) is required")
        }
        continue
      }
      if let problem = check(value, field: field) { problems.append("data.\(field.name) \(problem)") }
    }
    if usesCharacters, case .array(let characters)? = node.data["characters"] {
      if characters.isEmpty { problems.append("data.characters is empty") }
      for (position, character) in characters.enumerated() {
        guard case .object(let object) = character else { continue }
        for key in ["name", "description"] where (object[key]?.stringValue ?? "").isEmpty {
          problems.append("data.characters[\(position)].\(key) is required")
        }
      }
    }
    for problem in problems {
      issues.append(
        ValidationIssue(.invalidData, "Node '\(node.id)' (\(node.type)): \(problem).", nodeID: node.id))
    }
    if case .string(let provider)? = node.data["providerId"], !provider.isEmpty, !knownProviders.contains(provider) {
      issues.append(
        ValidationIssue(
          .unknownProvider, "Node '\(node.id)' names the unknown provider '\(provider)' in data.providerId.", nodeID: node.id))
    }
    return issues
  }

  /// A phrase saying what is wrong with a present value, or `nil` when it is fine.
  static func check(_ value: JSONValue, field: DataField) -> String? {
    switch field.type {
    case .string:
      guard case .string(let text) = value else { return "must be a string, not \(value.typeName)" }
      if field.required && text.trimmingCharacters().isEmpty { return "is empty" }
      if let allowed = field.values, !allowed.contains(text) {
        let shown = allowed.count > 12 ? allowed.prefix(12).joined(separator: ", ") + ", …" : allowed.joined(separator: ", ")
        return "'\(text.prefix(40))' is not one of \(shown)"
      }
    case .integer:
      guard let integer = value.intValue else { return "must be an integer, not \(value.typeName)" }
      if ["width", "height"].contains(field.name), integer <= 0 { return "must be positive" }
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
      guard case .object(let image) = value, image["base64"]?.stringValue != nil || image["url"]?.stringValue != nil else {
        return "must be an object with base64 or url"
      }
    }
    return nil
  }
}

extension String {
  func trimmingCharacters() -> Substring {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    return Substring(scalars[first...last])
  }
}
