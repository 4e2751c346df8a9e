import Foundation
import Simulators
import Testing
import TestFixtures

/// A carrier's side of a conversation that reacts to the agent, for the multi-turn tests: the
/// simulated caller (``CallSimulator``) with the synthetic voice, straight onto the carrier's
/// media stream (no webhook), marks echoed when playback reaches them.
enum ConversationCaller {
    typealias Step = CallerScript.Step

    /// Plays `steps` against the relay at `port` as call `callSid`, then hangs up; `room`, if
    /// given, talks behind the caller all through the call.
    static func call(port: Int, callSid: String, steps: [Step], room: CallerRoom? = nil,
                     carrier: SimulatedCarrier = .twilio, audio: CallerAudioFormat = .muLaw) async throws -> CallerRecording {
        let (streamSid, path) = carrier == .twilio ? (MediaStreamCallTests.streamSid, "/media-stream")
            : ("6c0f2a9e-1d4b-4e8a-9f3c-2b7d5e1a0c42", "/\(carrier.rawValue)/media-stream")
        // Vonage names the call only in the NCCO's headers; it has no stream id of its own.
        let start = StreamStart(carrier: carrier, audio: audio, callSid: callSid, streamSid: carrier == .vonage ? callSid : streamSid,
                                accountSid: "AC1", customParameters: carrier == .vonage ? ["tenant": "test", "callSid": callSid] : ["tenant": "test"])
        let heard = try await CallSimulator.stream(port: port, path: path, start: start, script: CallerScript(steps, room: room))
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
