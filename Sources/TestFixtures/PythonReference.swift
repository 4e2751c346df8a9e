import Foundation

/// Runs a carrier's own Python SDK (installed by `scripts/test.sh`) on a JSON input: a check of
/// what we send and accept against the implementation the carrier publishes, not one of ours.
public enum PythonReference {
    public struct Failed: Error, CustomStringConvertible { public let description: String }

    /// Runs `script` with `input` as JSON on its standard input; returns what it prints, trimmed.
    public static func run(_ script: String, input: [String: Any]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: input))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(description: "python3 exited \(process.terminationStatus): \(errors)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
