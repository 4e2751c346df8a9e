import ArgumentParser
import AudioPipeline
import Codecs
import Foundation
import Server
import Simulators

/// `voice-relay dial URL --play caller.wav --record agent.wav`: acts as Twilio against a relay.
struct DialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dial",
        abstract: "Call a relay as Twilio would: webhook, then the media stream in real time; record the agent and time it.",
        discussion: "Timings: voice-to-voice is from the end of each caller utterance to the first agent audio after it; barge-in is from the start of caller speech over agent audio to the relay's `clear`. The call stays up past --tail-seconds while the agent is still speaking. With the carrier's credential set (TWILIO_AUTH_TOKEN, PLIVO_AUTH_TOKEN, TELNYX_PRIVATE_KEY, VONAGE_SIGNATURE_SECRET), the webhook (and Twilio's stream) is signed as the carrier signs it."
    )

    @Argument(help: "The relay's base URL, e.g. http://127.0.0.1:8080 or https://relay.fly.dev.") var url: String
    @Option(help: "Caller audio to play (any format `convert` reads).") var play: String
    @Option(help: "Where to write what the agent said (.wav, 8 kHz).") var record: String?
    @Option(name: .customLong("tail-seconds"), help: "How long to stay on the line after the caller audio ends.") var tailSeconds: Int = 4
    @Option(help: "The number called (Twilio's To), which names the tenant.") var to: String = "+15555550199"
    @Option(help: "Keys to press and when, in seconds from the call's start: 1@2.5,5@6.") var dtmf: String?
    @Option(help: "The carrier to play: twilio, plivo, telnyx or vonage.") var carrier: String = "twilio"
    @Flag(help: "Print the timings as JSON.") var json = false

    /// `1@2.5,5@6` as key presses in ms.
    static func keyPresses(_ text: String) throws -> [(key: String, atMs: Int)] {
        try text.split(separator: ",").map { entry in
            let parts = entry.split(separator: "@")
            guard parts.count == 2, parts[0].count == 1, "0123456789*#ABCD".contains(parts[0]), let seconds = Double(parts[1]), seconds >= 0 else {
                throw CommandFailure("--dtmf takes KEY@SECONDS pairs, e.g. 1@2.5,5@6 (keys 0-9, *, #, A-D)")
            }
            return (String(parts[0]), Int(seconds * 1000))
        }
    }

    func run() async throws {
        let audio = try AudioInput.read(play, inputRate: nil, preferredRates: [8000], fallbackRate: 8000)
        var caller = [Int16](repeating: 0, count: audio.samples.count)
        audio.samples.withUnsafeBufferPointer { input in caller.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        let keys = try dtmf.map(Self.keyPresses) ?? []
        // Signed like Twilio's requests when the account's token is at hand, so a production relay takes the call.
        guard let simulated = SimulatedCarrier(rawValue: carrier) else {
            throw CommandFailure("--carrier must be one of \(SimulatedCarrier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // Telnyx signs with a private key (base64, 32 bytes) whose public half the relay holds.
        let tokenVariable = ["twilio": "TWILIO_AUTH_TOKEN", "plivo": "PLIVO_AUTH_TOKEN", "telnyx": "TELNYX_PRIVATE_KEY",
                             "vonage": "VONAGE_SIGNATURE_SECRET"][simulated.rawValue]!
        let authToken = ProcessInfo.processInfo.environment[tokenVariable].flatMap { $0.isEmpty ? nil : $0 }
        let result: CallerRecording
        do {
            result = try await CallSimulator(carrier: simulated, relayURL: url, tail: .seconds(tailSeconds), calledNumber: to, keyPresses: keys,
                                                   authToken: authToken).call(callerAudio: caller)
        } catch {
            throw CommandFailure("call failed: \(error)")
        }
        if let record {
            try Data(WAVFile.write(.init(samples: result.agentAudio, sampleRate: 8000))).write(to: URL(fileURLWithPath: record), options: .atomic)
        }
        let timings = CallTimings(callerAudio: audio.samples, result: result)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(timings), as: UTF8.self))
        } else {
            print("call \(result.callSid) answered in region \(result.webhookRegion ?? "?")")
            print("agent frames received: \(result.agentFrameTimesMs.count), marks echoed: \(result.marksEchoed), clears: \(result.clearTimesMs.count)")
            for value in timings.voiceToVoiceMs { print(String(format: "voice-to-voice: %.0f ms (end of caller speech to first agent audio)", value)) }
            for value in timings.bargeInMs { print(String(format: "barge-in: %.0f ms (caller speech onset to clear)", value)) }
            if let reason = result.closeReason { print("closed by the relay: \(reason)") }
        }
    }
}

/// Timings of a simulated call, from the caller audio sent and what came back.
struct CallTimings: Codable {
    var callSid: String
    var webhookRegion: String?
    var agentFrames: Int
    var closeReason: String?
    var voiceToVoiceMs: [Double] = []
    var bargeInMs: [Double] = []

    init(callerAudio: [Float], result: CallerRecording) {
        callSid = result.callSid
        webhookRegion = result.webhookRegion
        agentFrames = result.agentFrameTimesMs.count
        closeReason = result.closeReason
        // Caller utterances: frame-exact speech (no hangover), pauses under 300 ms bridged.
        var utterances: [(startMs: Double, endMs: Double)] = []
        for segment in VoiceActivityDetector.segments(of: callerAudio, configuration: .init(hangover: .zero)) {
            if let last = utterances.last, Double(segment.startMs) - last.endMs < 300 {
                utterances[utterances.count - 1].endMs = Double(segment.endMs)
            } else {
                utterances.append((Double(segment.startMs), Double(segment.endMs)))
            }
        }
        let frames = result.agentFrameTimesMs
        for (index, utterance) in utterances.enumerated() {
            let nextStart = index + 1 < utterances.count ? utterances[index + 1].startMs : .infinity
            // Speaking over agent audio: the relay should `clear` it.
            if frames.contains(where: { abs($0 - utterance.startMs) < 60 }),
               let clear = result.clearTimesMs.first(where: { $0 >= utterance.startMs - 20 && $0 < utterance.endMs }) {
                bargeInMs.append(clear - utterance.startMs)
            }
            if let first = frames.first(where: { $0 > utterance.endMs && $0 < nextStart }) {
                voiceToVoiceMs.append(first - utterance.endMs)
            }
        }
    }
}
