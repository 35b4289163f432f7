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
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    .target(
      name: "JSONRPC",
      dependencies: [.product(name: "Logging", package: "swift-log")],
      swiftSettings: strictSettings
    ),
    .target(name: "FlowGraph", dependencies: ["JSONRPC"], swiftSettings: strictSettings),
    .target(
      name: "FlowProviders",
      dependencies: [
        "JSONRPC", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .target(
      name: "FakeProvider",
      dependencies: [
        "JSONRPC", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
      swiftSettings: strictSettings
    ),
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
        "JSONRPC", "FlowGraph", "FlowExecution", "FlowRunnerServer", "FakeProvider",
        .product(name: "Logging", package: "swift-log"),
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
    .executableTarget(
      name: "flowrunner-fake-provider",
      dependencies: ["FakeProvider"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "FlowProvidersTests",
      dependencies: [
        "FlowProviders", "FakeProvider", "JSONRPC", "FlowRunnerTestSupport",
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
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
      dependencies: ["JSONRPC", "FlowRunnerTestSupport", "FakeProvider", "flowrunner"],
      swiftSettings: strictSettings
    ),
  ]
)
