/// The built-in scene prompt blocks of `sceneBuilder`: for each block (setting, lighting, ...)
/// the values an editor may choose and the prompt phrase each one stands for.
///
/// The scene prompt is the chosen phrases in block order, joined with ", ", capitalised and ended
/// with a period: e.g. "A medieval castle courtyard, lit by warm golden-hour sunlight, wide
/// establishing shot."
public enum SceneBlocks {
  /// One block: its `data` field name, a description, and its values with their phrases.
  public struct Block: Sendable {
    /// The `data` field (`camelCase`).
    public var field: String
    /// What the block chooses.
    public var description: String
    /// Allowed values, in palette order, with the phrase each contributes.
    public var values: [(value: String, phrase: String)]
  }

  /// The blocks, in the order their phrases are composed.
  public static let blocks: [Block] = [
    Block(
      field: "setting", description: "Where the scene takes place.",
      values: [
        ("castle", "a medieval castle courtyard"), ("forest", "an ancient misty forest"),
        ("city", "a bustling modern city street"), ("desert", "a vast sand desert with dunes"),
        ("space", "the bridge of a starship in deep space"), ("beach", "a quiet tropical beach"),
        ("village", "a small mountain village"), ("interior", "a cozy lamp-lit interior"),
      ]),
    Block(
      field: "lighting", description: "How the scene is lit.",
      values: [
        ("golden_hour", "lit by warm golden-hour sunlight"), ("overcast", "under soft overcast light"),
        ("neon", "lit by colorful neon signs"), ("candlelight", "in flickering candlelight"),
        ("moonlight", "in cold blue moonlight"), ("studio", "in even studio lighting"),
        ("backlit", "strongly backlit with rim light"),
      ]),
    Block(
      field: "camera", description: "Shot type and framing.",
      values: [
        ("wide", "wide establishing shot"), ("close_up", "close-up shot"), ("medium", "medium shot"),
        ("aerial", "aerial view from above"), ("low_angle", "dramatic low-angle shot"),
        ("over_shoulder", "over-the-shoulder shot"), ("macro", "macro detail shot"),
      ]),
    Block(
      field: "mood", description: "The emotional tone.",
      values: [
        ("serene", "serene and calm mood"), ("tense", "tense, suspenseful mood"), ("joyful", "joyful, lively mood"),
        ("melancholic", "melancholic mood"), ("mysterious", "mysterious atmosphere"), ("epic", "epic, grand atmosphere"),
      ]),
    Block(
      field: "style", description: "The visual style.",
      values: [
        ("photorealistic", "photorealistic style"), ("cinematic", "cinematic film still"),
        ("watercolor", "watercolor painting"), ("anime", "anime illustration"), ("oil_painting", "classical oil painting"),
        ("pixel_art", "pixel art"), ("comic", "comic book art"), ("concept_art", "digital concept art"),
      ]),
    Block(
      field: "timeOfDay", description: "The time of day.",
      values: [
        ("dawn", "at dawn"), ("morning", "in the morning"), ("noon", "at noon"), ("afternoon", "in the afternoon"),
        ("dusk", "at dusk"), ("night", "at night"),
      ]),
    Block(
      field: "weather", description: "The weather.",
      values: [
        ("clear", "under a clear sky"), ("rain", "in the rain"), ("snow", "in falling snow"), ("fog", "in thick fog"),
        ("storm", "during a thunderstorm"), ("wind", "on a windy day"),
      ]),
  ]

  /// A phrase as it goes into a prompt: as it is after another, capitalised when it opens one.
  private struct Phrase: Sendable {
    var inside: String
    var opening: String
  }

  /// Each block's phrases by value, in block order.
  private static let phrases: [(field: String, byValue: [String: Phrase])] = blocks.map { block in
    let byValue = block.values.map { value, phrase in
      (value, Phrase(inside: phrase, opening: phrase.prefix(1).uppercased() + phrase.dropFirst()))
    }
    return (block.field, Dictionary(uniqueKeysWithValues: byValue))
  }

  /// The phrase for a block's value, or `nil` when the value is not one of the block's.
  public static func phrase(field: String, value: String) -> String? {
    phrases.first { $0.field == field }?.byValue[value]?.inside
  }

  /// The scene prompt for the chosen values (`choice(field)` gives a block's value, or `nil`):
  /// the phrases in block order, or `nil` when no block is chosen. Unknown values are skipped
  /// (validation has rejected them before any run).
  public static func compose(_ choice: (String) -> String?) -> String? {
    var prompt = ""
    for block in phrases {
      guard let value = choice(block.field), let phrase = block.byValue[value] else { continue }
      if prompt.isEmpty {
        prompt.reserveCapacity(160)
        prompt += phrase.opening
      } else {
        prompt += ", "
        prompt += phrase.inside
      }
    }
    guard !prompt.isEmpty else { return nil }
    prompt += "."
    return prompt
  }

  /// The scene prompt for a dictionary of choices.
  public static func compose(_ choices: [String: String]) -> String? {
    compose { choices[$0] }
  }
}
