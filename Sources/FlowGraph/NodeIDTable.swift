/// Node positions by node id (or any list's positions by id): an open-addressing hash table
/// over the ids' UTF-8 bytes.
///
/// Validation and indexing look ids up tens of thousands of times per large flow (every
/// node, both ends of every edge, every edge id); hashing the bytes a word at a time with a per-process
/// seed costs a fraction of the general-purpose `Hasher`. Ids are compared as strings, so
/// a collision only costs a probe.
public struct NodeIDTable: Sendable {
  /// The ids, by node position.
  private let ids: [String]
  /// `position + 1` of the node whose id hashes to each slot (0: empty); a power of two long.
  private let slots: [Int32]
  private let mask: Int

  /// Process-wide seed: the table's layout differs from process to process.
  private static let seed: UInt64 = .random(in: .min ... .max)

  /// A table of `ids`; a repeated id keeps its first position.
  public init(_ ids: [String]) {
    var capacity = 16
    while capacity < 2 * ids.count { capacity <<= 1 }
    var slots = [Int32](repeating: 0, count: capacity)
    let mask = capacity - 1
    for (position, id) in ids.enumerated() {
      var slot = Self.hash(id) & mask
      while slots[slot] != 0 {
        if ids[Int(slots[slot]) - 1] == id { break }
        slot = (slot + 1) & mask
      }
      if slots[slot] == 0 { slots[slot] = Int32(position + 1) }
    }
    self.ids = ids
    self.slots = slots
    self.mask = mask
  }

  /// The position of the first node with this id, or `nil`.
  public subscript(id: String) -> Int? {
    var slot = Self.hash(id) & mask
    while true {
      let entry = Int(slots[slot])
      if entry == 0 { return nil }
      if ids[entry - 1] == id { return entry - 1 }
      slot = (slot + 1) & mask
    }
  }

  /// A hash of the id's UTF-8 bytes, eight at a time.
  static func hash(_ id: String) -> Int {
    let hashed = id.utf8.withContiguousStorageIfAvailable { hash($0) }
    return hashed ?? Array(id.utf8).withUnsafeBufferPointer { hash($0) }
  }

  private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var state = seed ^ UInt64(truncatingIfNeeded: bytes.count) &* multiplier
    guard let base = bytes.baseAddress else { return Int(truncatingIfNeeded: state) }
    let raw = UnsafeRawPointer(base)
    var offset = 0
    while offset + 8 <= bytes.count {
      state = (state ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
      state ^= state >> 29
      offset += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while offset < bytes.count {
      tail |= UInt64(bytes[offset]) << shift
      shift += 8
      offset += 1
    }
    state = (state ^ tail) &* multiplier
    state ^= state >> 32
    return Int(truncatingIfNeeded: state)
  }
}
