// swift-tools-version:6.0
// The lock-free ring buffer's tests under ThreadSanitizer, in a package of their own so the
// sanitized build is the audio pipeline and its two dependencies, not the whole relay
// (`scripts/test.sh` runs it). The test file is the relay's own, linked in, not a copy.
import PackageDescription

let package = Package(
    name: "ThreadSanitizerTests",
    dependencies: [.package(name: "VoiceRelay", path: "../..")],
    targets: [
        .testTarget(
            name: "RingBufferRaceTests",
            dependencies: [.product(name: "AudioPipeline", package: "VoiceRelay")],
            path: "RingBufferRaceTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
