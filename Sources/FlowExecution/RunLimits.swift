import FlowGraph
import JSON

/// How much output a node and a run may produce: a flow whose texts double at every level
/// (diamonds of `textOutput` nodes) fails a node with `output_too_large` instead of exhausting
/// memory.
public struct RunLimits: Sendable, Hashable {
  /// The most bytes one node's output may hold (`limits.max_output_bytes`).
  public var maxOutputBytes: Int
  /// The most bytes the outputs of one run may hold together (`limits.max_run_output_bytes`).
  public var maxRunOutputBytes: Int

  /// Allowed values of either limit: 1 KiB to 4 GiB.
  public static let range = 1024...(4 << 30)

  /// Limits; the defaults are 4 MiB a node and 64 MiB a run.
  public init(maxOutputBytes: Int = 4 << 20, maxRunOutputBytes: Int = 64 << 20) {
    self.maxOutputBytes = maxOutputBytes
    self.maxRunOutputBytes = maxRunOutputBytes
  }
}

extension NodeOutput {
  /// The bytes the output holds: its text, the personas' strings, the image data.
  public var byteCount: Int {
    var total = text?.utf8.count ?? 0
    for persona in personas ?? [] {
      persona.forEachMember { key, value in total += key.utf8.count + (value.stringValue?.utf8.count ?? 0) }
    }
    total += image?.data?.count ?? 0
    return total
  }
}
