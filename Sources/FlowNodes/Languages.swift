/// The 28 target languages of `translator`, by code, with the English name the prompt uses.
public enum Languages {
  /// Codes and English names, in the documented order.
  public static let all: [(code: String, name: String)] = [
    ("en", "English"), ("fr", "French"), ("de", "German"), ("es", "Spanish"), ("it", "Italian"),
    ("pt", "Portuguese"), ("nl", "Dutch"), ("pl", "Polish"), ("ru", "Russian"), ("uk", "Ukrainian"),
    ("tr", "Turkish"), ("ar", "Arabic"), ("he", "Hebrew"), ("hi", "Hindi"), ("bn", "Bengali"),
    ("zh", "Chinese"), ("ja", "Japanese"), ("ko", "Korean"), ("vi", "Vietnamese"), ("th", "Thai"),
    ("id", "Indonesian"), ("ms", "Malay"), ("sv", "Swedish"), ("no", "Norwegian"), ("da", "Danish"),
    ("fi", "Finnish"), ("cs", "Czech"), ("el", "Greek"),
  ]

  private static let names = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0.name) })

  /// The English name of a code, or `nil` for an unknown code.
  public static func name(of code: String) -> String? { names[code] }

  /// The codes, in order.
  public static var codes: [String] { all.map(\.code) }
}
