import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `imageGenerator`: an image of the merged text input, from an image model (Hugging Face
  /// FLUX, GLM CogView, or `echo`'s small PNGs).
  public static let imageGenerator = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "imageGenerator", category: .image, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.image],
      dataFields: [
        DataField("width", .integer, "Pixel width (CogView: 512–2048, divisible by 16).", minimum: 1),
        DataField("height", .integer, "Pixel height (CogView: 512–2048, divisible by 16).", minimum: 1),
        DataField("seed", .integer, "A seed, for providers that take one.", minimum: 0),
        DataField("negativePrompt", .string, "What the image should not show, for providers that take it."),
      ] + providerFields),
    execution: .async { context in
      let prompt = ImageGeneratorPrompt.generateImage(try context.requiredText())
      let data = context.node.data
      return try await context.generateImage(
        prompt: prompt, width: data["width"]?.intValue, height: data["height"]?.intValue, seed: data["seed"]?.intValue,
        negativePrompt: data["negativePrompt"]?.stringValue,
        template: "\(ImageGeneratorPrompt.identity.name)@\(ImageGeneratorPrompt.identity.version)")
    },
    modelDefault: ModelDefault(providerID: "huggingface", model: "black-forest-labs/FLUX.1-schnell"),
    templates: [ImageGeneratorPrompt.identity])
}

/// The `imageGenerator` node's template.
public enum ImageGeneratorPrompt {
  static let identity = PromptTemplate.Identity(name: "generate_image", version: "1")

  /// `generate_image(prompt)`: the prompt as the model gets it (the merged text, trimmed).
  public static func generateImage(_ text: String) -> String {
    text.trimmingWhitespace()
  }
}
