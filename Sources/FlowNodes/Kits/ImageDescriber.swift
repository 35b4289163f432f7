import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `imageDescriber`: a vision model's description of the image on its image edge (or in
  /// `data.image`), for use as a prompt.
  public static let imageDescriber = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "imageDescriber", category: .image, callsProvider: true, inputs: [.image], requiredInputs: [],
      output: [.text],
      dataFields: [
        DataField(
          "image", .image,
          "The image when no image edge brings one: an Image, a data: URL, an absolute file path or an http(s) URL."),
        DataField("notes", .string, "What the description should attend to."),
      ] + providerFields),
    execution: .async { context in
      let bytes = try await context.inputImage()
      let choice = try ModelResolver.resolve(
        node: context.node, flowProviderID: context.flowProviderID, services: context.services, use: .vision)
      let image = try context.visionImage(bytes, providerID: choice.providerID)
      let notes = context.node.data["notes"]?.stringValue
      return try await context.callProvider(ImageDescriber.describe(image, notes: notes), use: .vision)
    },
    modelDefault: ModelDefault(providerID: "glm", model: "glm-4v-flash"),
    templates: [ImageDescriber.identity])
}

/// The `imageDescriber` node's template.
public enum ImageDescriber {
  static let identity = PromptTemplate.Identity(name: "describe", version: "1")

  /// `describe(image, notes?)`.
  public static func describe(_ image: ChatImage, notes: String?) -> PromptTemplate {
    var request = "Describe this image."
    if let notes, !notes.isEmpty { request += "\n\nNotes: \(notes)" }
    return PromptTemplate(
      identity,
      messages: [
        .system(
          "You describe images for use as image-generation prompts: the subject, the people and what they do, the setting, light, colors, composition and style, in one paragraph. Answer with the description only."
        ),
        ChatMessage(role: "user", content: request, images: [image]),
      ])
  }
}
