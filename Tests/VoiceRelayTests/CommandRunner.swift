import Foundation

/// Runs `voice-relay` (built beside the test bundle) and other tools, capturing their output.
enum CommandRunner {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static var voiceRelay: String {
        if let override = ProcessInfo.processInfo.environment["VOICE_RELAY_BINARY"] { return override }
        // The test bundle sits in the build products folder, next to the executable.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("voice-relay").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("voice-relay").path
    }

    /// The release build of `voice-relay`, for tests that put it under load (the debug build
    /// spends twenty times the CPU per call). `scripts/test.sh` builds it before the tests.
    static func releaseVoiceRelay() throws -> String {
        if let override = ProcessInfo.processInfo.environment["VOICE_RELAY_RELEASE_BINARY"] { return override }
        let debug = URL(fileURLWithPath: voiceRelay)
        let release = debug.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("release/voice-relay").path
        guard FileManager.default.isExecutableFile(atPath: release) else {
            throw ReleaseBuildMissing(path: release)
        }
        return release
    }

    struct ReleaseBuildMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "no release build at \(path): run `swift build -c release --product voice-relay` (scripts/test.sh does)" }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try locate(executable))
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }

    static func locate(_ tool: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ToolMissing(tool: tool)
    }

    struct ToolMissing: Error, CustomStringConvertible {
        let tool: String
        var description: String { "\(tool) is not installed (the README's test command installs opus-tools)" }
    }
}

/// A scratch folder removed when the test ends.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("voicerelay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}
