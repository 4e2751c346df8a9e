#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The parsers of untrusted input, by the name `scripts/dev/fuzz.sh` gives them.
enum FuzzTarget {
    static let all: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = ["twilio": fuzzTwilioMessage, "plivo": fuzzPlivoMessage, "telnyx": fuzzTelnyxMessage, "vonage": fuzzVonageMessage, "model": fuzzModelEvent]

    /// The target of this run: `FUZZ_TARGET` (one binary serves both, libFuzzer allows one entry).
    static let selected: @Sendable (UnsafeRawBufferPointer) -> Void = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = all[name] else { fatalError("FUZZ_TARGET must be one of \(all.keys.sorted())") }
        return target
    }()
}

/// libFuzzer's entry point (linked with `-sanitize=fuzzer`, which supplies `main`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    FuzzTarget.selected(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

#if !FUZZING
/// Without libFuzzer (every ordinary build compiles this target, so it cannot rot): runs the
/// files given through a target, e.g. a crash input the fuzzer saved.
/// `swift run wire-fuzzer twilio out/fuzz/twilio/crash-...`
@main
enum ReplayInputs {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget.all[name] else {
            print("usage: wire-fuzzer \(FuzzTarget.all.keys.sorted().joined(separator: "|")) FILE...")
            exit(2)
        }
        for path in arguments.dropFirst() {
            let input = try Data(contentsOf: URL(fileURLWithPath: path))
            input.withUnsafeBytes { target($0) }
            print("\(path): ok")
        }
    }
}
#endif
