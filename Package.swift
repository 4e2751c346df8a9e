// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "VoiceRelay",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "AudioPipeline", targets: ["AudioPipeline"]),
        .library(name: "Server", targets: ["Server"]),
        .executable(name: "voice-relay", targets: ["VoiceRelay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpus",
            pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]
        ),
        .target(
            name: "Codecs",
            dependencies: ["COpus"]
        ),
        .target(
            name: "AudioPipeline",
            dependencies: [
                "Codecs",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: ["AudioPipeline"]
        ),
        .executableTarget(
            name: "VoiceRelay",
            dependencies: [
                "Codecs",
                "AudioPipeline",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CodecsTests",
            dependencies: ["Codecs"]
        ),
        .testTarget(
            name: "AudioPipelineTests",
            dependencies: ["AudioPipeline"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
