import ArgumentParser
import AudioPipeline
import Codecs
import Foundation

/// `voice-relay vad INPUT [--json]`: the speech segments the relay's detector finds.
struct VADCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vad",
        abstract: "Print the speech segments (start and end in ms) of an audio file."
    )

    @Argument(help: "Audio to analyse (.wav, .ulaw, .alaw, .raw with --in-rate, .opus).") var input: String
    @Flag(help: "Print JSON (an array of {startMs, endMs, detectedMs}).") var json = false
    @Option(help: "0 (permissive) ... 3 (very strict).") var aggressiveness: Int = 1
    @Option(name: .customLong("hangover-ms"), help: "How long speech lasts after the last speech-like frame.") var hangoverMs: Int = 100
    @Option(name: .customLong("frame-ms"), help: "Analysis frame, 10 or 20 ms.") var frameMs: Int = 10
    @Option(name: .customLong("in-rate"), help: "Sample rate of a .raw input in Hz.") var inRate: Int?

    func run() throws {
        guard let level = VoiceActivityDetector.Configuration.Aggressiveness(rawValue: aggressiveness) else {
            throw CommandFailure("--aggressiveness must be 0, 1, 2 or 3")
        }
        guard frameMs == 10 || frameMs == 20 else { throw CommandFailure("--frame-ms must be 10 or 20") }
        let audio = try AudioInput.read(input, inputRate: inRate, preferredRates: [8000, 16000, 24000], fallbackRate: 8000)
        let configuration = VoiceActivityDetector.Configuration(
            sampleRate: audio.sampleRate, frameDurationMs: frameMs, aggressiveness: level,
            hangover: .milliseconds(hangoverMs))
        let segments = VoiceActivityDetector.segments(of: audio.samples, configuration: configuration)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(segments), as: UTF8.self))
        } else {
            for segment in segments {
                print(String(format: "%8.3f %8.3f", Double(segment.startMs) / 1000, Double(segment.endMs) / 1000))
            }
        }
    }
}
