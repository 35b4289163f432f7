/// Downscaling by area averaging: each target pixel is the mean of the source area it covers,
/// partial source pixels weighted by how much of them it covers (alpha-weighted, so transparent
/// pixels lend no color). One row of sums in memory at a time.
public enum AreaResampler {
  /// `buffer` scaled down to `width` × `height` (each at most the source's).
  public static func downscale(_ buffer: PixelBuffer, width: Int, height: Int) -> PixelBuffer {
    guard width < buffer.width || height < buffer.height, width > 0, height > 0 else { return buffer }
    let channels = buffer.channels
    let columns = spans(source: buffer.width, target: width)
    let rows = spans(source: buffer.height, target: height)
    var output = [UInt8](repeating: 0, count: width * height * channels)
    var sums = [Float](repeating: 0, count: buffer.width * channels)
    buffer.pixels.withUnsafeBufferPointer { source in
      for (targetRow, span) in rows.enumerated() {
        for index in sums.indices { sums[index] = 0 }
        // The source rows under this target row, weighted.
        for (offset, weight) in span.weights.enumerated() {
          let rowStart = (span.start + offset) * buffer.width * channels
          for x in 0..<buffer.width {
            let pixel = rowStart + x * channels
            let base = x * channels
            if channels == 4 {
              let alpha = Float(source[pixel + 3]) * weight
              sums[base] += Float(source[pixel]) * alpha
              sums[base + 1] += Float(source[pixel + 1]) * alpha
              sums[base + 2] += Float(source[pixel + 2]) * alpha
              sums[base + 3] += alpha
            } else {
              for channel in 0..<channels { sums[base + channel] += Float(source[pixel + channel]) * weight }
            }
          }
        }
        // Then the columns under each target pixel.
        for (targetColumn, columnSpan) in columns.enumerated() {
          var pixel = [Float](repeating: 0, count: channels)
          for (offset, weight) in columnSpan.weights.enumerated() {
            let base = (columnSpan.start + offset) * channels
            for channel in 0..<channels { pixel[channel] += sums[base + channel] * weight }
          }
          let out = (targetRow * width + targetColumn) * channels
          if channels == 4 {
            let alpha = pixel[3]
            for channel in 0..<3 { output[out + channel] = alpha > 0 ? clamp(pixel[channel] / alpha) : 0 }
            output[out + 3] = clamp(alpha)
          } else {
            for channel in 0..<channels { output[out + channel] = clamp(pixel[channel]) }
          }
        }
      }
    }
    return PixelBuffer(width: width, height: height, channels: channels, pixels: output)
  }

  /// For each target index, the first source index it covers and the weight of each covered
  /// source index (the weights sum to 1).
  static func spans(source: Int, target: Int) -> [(start: Int, weights: [Float])] {
    let scale = Double(source) / Double(target)
    return (0..<target).map { index in
      let left = Double(index) * scale
      let right = min(Double(source), Double(index + 1) * scale)
      let start = Int(left)
      var weights: [Float] = []
      var sourceIndex = start
      while Double(sourceIndex) < right, sourceIndex < source {
        let covered = min(right, Double(sourceIndex + 1)) - max(left, Double(sourceIndex))
        if covered > 0 { weights.append(Float(covered / scale)) } else { weights.append(0) }
        sourceIndex += 1
      }
      return (start, weights)
    }
  }

  private static func clamp(_ value: Float) -> UInt8 {
    UInt8(max(0, min(255, value.rounded())))
  }
}
