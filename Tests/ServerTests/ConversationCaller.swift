import Foundation
import Simulators
import Testing
import TestFixtures

/// Twilio's side of a conversation that reacts to the agent, for the multi-turn tests: the
/// simulated caller (``CallSimulator``) with the synthetic voice, straight onto the media
/// stream (no webhook), marks echoed when playback reaches them.
enum ConversationCaller {
    typealias Step = CallerScript.Step

    /// Plays `steps` against the relay at `port` as call `callSid`, then hangs up; `room`, if
    /// given, talks behind the caller all through the call.
    static func call(port: Int, callSid: String, steps: [Step], room: CallerRoom? = nil) async throws -> CallerRecording {
        let start = StreamStart(callSid: callSid, streamSid: MediaStreamCallTests.streamSid, accountSid: "AC1", customParameters: ["tenant": "test"])
        let heard = try await CallSimulator.stream(port: port, start: start, script: CallerScript(steps, room: room))
        #expect(heard.unexpectedMessages.isEmpty, "\(heard.unexpectedMessages)")
        return heard
    }
}

extension CallerRoom {
    /// The committed busy room (`Tests/Fixtures/babble`), scaled to lie `decibels` under the synthetic voice's voiced frames.
    static func babble(underVoiceBy decibels: Double) throws -> CallerRoom {
        let raw = try BusyRoom.samples()
        func rms(_ samples: [Float]) -> Double {
            (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
        }
        let voice = rms((0..<50).flatMap { SyntheticVoice.frame($0, voiced: true) })
        let gain = Float(voice / rms(raw) / pow(10, decibels / 20))
        return CallerRoom(samples: raw.map { $0 * gain })
    }
}
