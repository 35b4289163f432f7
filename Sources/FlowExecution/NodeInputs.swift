import FlowGraph
import JSON

/// What a node receives from its upstream nodes, gathered in edge order.
public struct NodeInputs: Sendable {
  /// Texts of text-edge sources, in edge order (sources without text are left out).
  public var texts: [String] = []
  /// Personas of adapter-edge sources, in edge order.
  public var personas: [JSONObject] = []
  /// Images of image-edge sources, in edge order.
  public var images: [ImageValue] = []

  /// Empty inputs.
  public init() {}

  /// `merge_input_text`: the texts, empty ones dropped, joined with a blank line.
  public var mergedText: String {
    switch texts.count {
    case 0: return ""
    case 1: return texts[0]
    default:
      var merged = ""
      merged.reserveCapacity(texts.reduce(0) { $0 + $1.utf8.count + 2 })
      for text in texts where !text.isEmpty {
        if !merged.isEmpty { merged += "\n\n" }
        merged += text
      }
      return merged
    }
  }
}
