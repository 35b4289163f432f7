// swift-tools-version:6.0
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features we rely on.
let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "flowrunner",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "flowrunner", targets: ["flowrunner"]),
    .library(name: "JSONRPC", targets: ["JSONRPC"]),
    .library(name: "FlowRunnerServer", targets: ["FlowRunnerServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    .target(
      name: "JSONRPC",
      dependencies: [.product(name: "Logging", package: "swift-log")],
      swiftSettings: strictSettings
    ),
    .target(name: "FlowGraph", dependencies: ["JSONRPC"], swiftSettings: strictSettings),
    .target(name: "FlowProviders", dependencies: ["JSONRPC"], swiftSettings: strictSettings),
    .target(
      name: "FlowExecution", dependencies: ["JSONRPC", "FlowGraph", "FlowProviders"], swiftSettings: strictSettings
    ),
    .target(
      name: "FlowRunnerServer",
      dependencies: [
        "JSONRPC", "FlowGraph", "FlowExecution", "FlowProviders", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .executableTarget(
      name: "flowrunner",
      dependencies: [
        "FlowRunnerServer", "JSONRPC", "FlowGraph", "FlowExecution", "FlowProviders",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .executableTarget(
      name: "flowrunner-bench",
      dependencies: [
        "JSONRPC", "FlowGraph", "FlowExecution", "FlowRunnerServer", .product(name: "Logging", package: "swift-log"),
      ],
      path: "Benchmarks/FlowRunnerBench",
      swiftSettings: strictSettings
    ),
    .target(
      name: "FlowRunnerTestSupport",
      dependencies: [
        "JSONRPC", "FlowRunnerServer", "FlowGraph", "FlowExecution", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "JSONRPCTests",
      dependencies: ["JSONRPC", "FlowRunnerTestSupport"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "FlowGraphTests",
      dependencies: ["FlowGraph", "JSONRPC", "FlowRunnerTestSupport"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "FlowExecutionTests",
      dependencies: ["FlowExecution", "FlowGraph", "FlowRunnerServer", "JSONRPC", "FlowRunnerTestSupport"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "FlowRunnerServerTests",
      dependencies: ["FlowRunnerServer", "FlowProviders", "JSONRPC", "FlowRunnerTestSupport"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["JSONRPC", "FlowRunnerTestSupport", "flowrunner"],
      swiftSettings: strictSettings
    ),
  ]
)
