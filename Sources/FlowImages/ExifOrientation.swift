/// The EXIF orientation of a JPEG (1 = as stored, 2–8 = flipped and/or rotated), and turning
/// pixels upright by it.
public enum ExifOrientation {
  /// The orientation in a JPEG's EXIF block (APP1), 1 when there is none or it cannot be read.
  public static func read(jpeg bytes: [UInt8]) -> Int {
    var offset = 2
    while offset + 4 <= bytes.count {
      guard bytes[offset] == 0xFF else { return 1 }
      let marker = bytes[offset + 1]
      if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
        offset += 2
        continue
      }
      if marker == 0xDA || marker == 0xD9 { return 1 }  // the image data starts: no EXIF before it
      let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
      guard length >= 2, offset + 2 + length <= bytes.count else { return 1 }
      let payload = offset + 4
      if marker == 0xE1, length >= 8, Array(bytes[payload..<payload + 6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
        return orientation(tiff: Array(bytes[(payload + 6)..<(offset + 2 + length)]))
      }
      offset += 2 + length
    }
    return 1
  }

  /// Tag 0x0112 of IFD0 in a TIFF block.
  static func orientation(tiff: [UInt8]) -> Int {
    guard tiff.count >= 8 else { return 1 }
    let little: Bool
    switch (tiff[0], tiff[1]) {
    case (0x49, 0x49): little = true
    case (0x4D, 0x4D): little = false
    default: return 1
    }
    func read(_ offset: Int, _ count: Int) -> Int? {
      guard offset >= 0, offset + count <= tiff.count else { return nil }
      return (0..<count).reduce(0) { value, index in
        let byte = Int(tiff[offset + (little ? count - 1 - index : index)])
        return value << 8 | byte
      }
    }
    guard read(2, 2) == 42, let ifd = read(4, 4), let entries = read(ifd, 2) else { return 1 }
    for entry in 0..<min(entries, 512) {
      let position = ifd + 2 + entry * 12
      guard let tag = read(position, 2) else { return 1 }
      if tag == 0x0112, let value = read(position + 8, 2) {
        return (1...8).contains(value) ? value : 1
      }
    }
    return 1
  }

  /// `buffer` turned upright by `orientation`.
  public static func apply(_ orientation: Int, to buffer: PixelBuffer) -> PixelBuffer {
    guard (2...8).contains(orientation) else { return buffer }
    let (width, height, channels) = (buffer.width, buffer.height, buffer.channels)
    let swaps = orientation >= 5
    let targetWidth = swaps ? height : width
    let targetHeight = swaps ? width : height
    var output = [UInt8](repeating: 0, count: buffer.pixels.count)
    for y in 0..<targetHeight {
      for x in 0..<targetWidth {
        let (sourceX, sourceY): (Int, Int)
        switch orientation {
        case 2: (sourceX, sourceY) = (width - 1 - x, y)
        case 3: (sourceX, sourceY) = (width - 1 - x, height - 1 - y)
        case 4: (sourceX, sourceY) = (x, height - 1 - y)
        case 5: (sourceX, sourceY) = (y, x)
        case 6: (sourceX, sourceY) = (y, height - 1 - x)
        case 7: (sourceX, sourceY) = (width - 1 - y, height - 1 - x)
        default: (sourceX, sourceY) = (width - 1 - y, x)
        }
        let from = (sourceY * width + sourceX) * channels
        let to = (y * targetWidth + x) * channels
        for channel in 0..<channels { output[to + channel] = buffer.pixels[from + channel] }
      }
    }
    return PixelBuffer(width: targetWidth, height: targetHeight, channels: channels, pixels: output)
  }
}
