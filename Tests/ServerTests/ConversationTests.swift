import CallRecords
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Simulators
import Testing

/// Calls of many turns, checked on all three sides: what the caller's carrier received, what the
/// model was asked, and what the call record says. Serialized: each runs a call in real time.
@Suite(.serialized) struct ConversationTests {
    /// Seven caller turns: answered after the agent finished, a barge-in early and one late in an
    /// agent turn, a long silence, a caller who starts again just before the model's answer
    /// begins, and a key press. Only the two real interruptions may clear, cancel or truncate.
    /// The same call through each carrier, in its formats the narrowband tests do not cover:
    /// Twilio's mu-law marks and clears, Plivo's 16 kHz linear PCM with checkpoints and
    /// clearAudio, Telnyx's A-law, Vonage's 16 kHz linear PCM in binary frames with notify and
    /// clear. (Telnyx's Opus is not here: through it the relay's VAD sometimes split one of the
    /// synthetic voice's utterances in two, a third barge-in; see docs/performance-log.md.)
    @Test(arguments: [(SimulatedCarrier.twilio, CallerAudioFormat.muLaw), (.plivo, .linear16k), (.telnyx, .aLaw), (.vonage, .linear16k)])
    func aLongConversationInterruptsOnlyWhereTheCallerSpokeOverTheAgent(carrier: SimulatedCarrier, audio: CallerAudioFormat) async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        // Replies of 2.4 s: at the late barge-in (800 ms heard, decided ~200 ms later) the model
        // is still streaming the reply, which it does until ~540 ms (the read back-pressure and the
        // playout ring) remain. With 1.6 s replies that margin was ~60 ms, and a busy machine's
        // delays sometimes closed it (no cancel was then due).
        let model = ScriptedModel(replyLength: .milliseconds(2400))
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model,
                                recorder: recorder.writer)
        let steps: [ConversationCaller.Step] = [
            .quiet(frames: 25), .speak(frames: 50),                                 // 1: reply 1, heard whole
            .quietAfterAgentFinished(.milliseconds(700)), .speak(frames: 40),       // 2: an answer, not a barge-in; reply 2
            .quietUntilAgentHasSpoken(.milliseconds(200)), .speak(frames: 40),      // 3: early barge-in on reply 2; reply 3
            .quietUntilAgentHasSpoken(.milliseconds(800)), .speak(frames: 40),      // 4: late barge-in on reply 3; reply 4
            .quietAfterAgentFinished(.milliseconds(2500)), .speak(frames: 30),      // 5: after a long silence
            .quiet(frames: 20), .speak(frames: 30),                                 // 6: again before the model answers; reply 5
            .quietAfterAgentFinished(.milliseconds(600)), .pressKey("5"),           // a key; reply 6
            .quietAfterAgentFinished(.milliseconds(500)), .speak(frames: 30),       // 7: reply 7
            .quietAfterAgentFinished(.milliseconds(300)),
        ]
        try await relay.makeApplication().test(.live) { client in
            let callSid = ["twilio": "CA100", "plivo": "0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "telnyx": "v3:Zk9fQm1Xc2tWcnpT",
                           "vonage": "5b2d8e1f-3c4a-4d6e-8f0a-1b2c3d4e5f60"][carrier.rawValue]!
            let heard = try await ConversationCaller.call(port: client.port!, callSid: callSid, steps: steps, carrier: carrier, audio: audio)
            #expect(heard.stepTimedOut == nil, "a step waited in vain: \(heard.stepTimedOut ?? "")")
            // Agent frames came in the stream's own format: 640 bytes of 16 kHz PCM, 160 of G.711.
            #expect(Set(heard.agentFrameBytes) == [audio == .linear16k ? 640 : 160])
            try await Task.sleep(for: .milliseconds(300))
            let log = model.log.snapshot

            // The carrier: a clear for each interruption, each soon after the caller started over the agent.
            #expect(heard.clearTimesMs.count == 2, "clears at \(heard.clearTimesMs) ms; utterances at \(heard.utteranceStartsMs)")
            for (clear, onset) in zip(heard.clearTimesMs, [heard.utteranceStartsMs[2], heard.utteranceStartsMs[3]]) {
                #expect(clear > onset && clear < onset + 400, "clear at \(clear) ms for speech from \(onset) ms")
            }

            // The model: seven answers started, the one thought about (reply 5) withdrawn; cancels only for
            // the two interrupted replies and only while they were in progress; truncates name them.
            #expect(log.responsesStarted == [1, 2, 3, 4, 6, 7, 8].map { "reply_\($0)" }, "\(log.responsesStarted)")
            #expect(log.answersWithdrawn == 1)
            #expect(log.cancels.map(\.item) == ["reply_2", "reply_3"], "\(log.cancels)")
            #expect(log.cancels.allSatisfy { $0.inProgress })
            #expect(log.truncations.map(\.item) == ["reply_2", "reply_3"], "\(log.truncations)")
            if log.truncations.count == 2 {
                // Heard: ~200 ms of the early one and ~800 ms of the late one (the caller's VAD
                // onset and a 20 ms tick come on top; the pacer's model is corrected by marks).
                #expect((120...600).contains(log.truncations[0].audioEndMs), "early: \(log.truncations[0].audioEndMs) ms")
                #expect((700...1200).contains(log.truncations[1].audioEndMs), "late: \(log.truncations[1].audioEndMs) ms")
            }
            #expect(log.digits == ["5"])

            // The record: agent turns complete but for the two cut, barge-ins counted once each.
            let detail = try #require(try await recorder.flushed().call(sid: callSid))
            let agentTurns = detail.turns.filter { $0.speaker == .agent }
            #expect(agentTurns.count == 7, "\(detail.turns.map { "\($0.speaker)\($0.interrupted ? "!" : "")" })")
            #expect(agentTurns.map(\.interrupted) == [false, true, true, false, false, false, false])
            #expect(detail.call.bargeIns == 2)
            #expect(detail.call.carrier == carrier.rawValue)
            for turn in agentTurns where !turn.interrupted {
                #expect((2200...2500).contains(turn.audioPlayedMs ?? 0) || (300...500).contains(turn.audioPlayedMs ?? 0),
                        "turn \(turn.index) heard \(turn.audioPlayedMs ?? -1) ms")
            }
            #expect(detail.turns.filter { $0.speaker == .caller }.count >= 7)
            #expect(detail.events.contains { $0.kind == "dtmf" && $0.detail == "5" })
            #expect(detail.events.filter { $0.kind == "barge-in" }.count == 2)
            #expect(detail.call.voiceToVoiceP50Ms != nil)
        }
    }

    /// A caller in a busy room (five talkers 20 dB under the caller's voice, all through the
    /// call): the room alone never interrupts the agent or starts a caller turn, and the caller
    /// speaking over the agent in the same room still barges in at once.
    @Test func aCallerInABusyRoomInterruptsOnlyWhenTheyThemselvesSpeak() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        // The model takes no turn from a sound under 400 ms (its VAD's hangover is 100 ms, so the
        // room's stretches stay apart): the room is heard as speech for the call's first half
        // second, before the detector has learned it, and the model stand-in, with the same
        // detector, would answer it. Replies of 1.6 s: the model fills the 640 ms playout ring at
        // once, so a 1.2 s reply has finished streaming ~460 ms into its playback, about when this
        // caller's barge-in is decided, and then there is nothing left to cancel.
        let model = ScriptedModel(replyLength: .milliseconds(1600), endOfTurn: .milliseconds(100), shortestTurn: .milliseconds(400))
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model,
                                recorder: recorder.writer)
        let steps: [ConversationCaller.Step] = [
            .quiet(frames: 100), .speak(frames: 50),                                // 1: after 2 s of the room alone; reply 1
            .quietAfterAgentFinished(.milliseconds(1500)), .speak(frames: 40),      // 2: silent through reply 1; reply 2
            .quietUntilAgentHasSpoken(.milliseconds(300)), .speak(frames: 40),      // 3: a barge-in on reply 2; reply 3
            .quietAfterAgentFinished(.milliseconds(1500)),                          // silent through reply 3
        ]
        try await relay.makeApplication().test(.live) { client in
            let heard = try await ConversationCaller.call(port: client.port!, callSid: "CA200", steps: steps,
                                                          room: try .babble(underVoiceBy: 20))
            try await Task.sleep(for: .milliseconds(300))
            let log = model.log.snapshot
            #expect(heard.stepTimedOut == nil, "a step waited in vain: \(heard.stepTimedOut ?? ""); replies \(log.responsesStarted), \(log.answersWithdrawn) withdrawn")

            // Twilio: one clear, for the caller's own speech over reply 2, within 100 ms of its start.
            #expect(heard.clearTimesMs.count == 1, "clears at \(heard.clearTimesMs) ms; utterances at \(heard.utteranceStartsMs)")
            if let clear = heard.clearTimesMs.first, heard.utteranceStartsMs.count == 3 {
                let onset = heard.utteranceStartsMs[2]
                #expect(clear > onset && clear < onset + 100, "clear at \(clear) ms for speech from \(onset) ms")
            }
            // The model (whose own VAD hears the room in the call's first second too, and withdraws
            // what it thought of answering): three replies, the second cancelled and truncated.
            #expect(log.responsesStarted.count == 3, "\(log.responsesStarted)")
            if log.responsesStarted.count == 3 {
                #expect(log.cancels.map(\.item) == [log.responsesStarted[1]], "\(log.cancels)")
                #expect(log.truncations.map(\.item) == [log.responsesStarted[1]], "\(log.truncations)")
            }

            // The record: replies 1 and 3 heard whole, 2 cut once; no caller turn but the caller's own.
            let detail = try #require(try await recorder.flushed().call(sid: "CA200"))
            let agentTurns = detail.turns.filter { $0.speaker == .agent }
            #expect(agentTurns.map(\.interrupted) == [false, true, false], "\(detail.turns.map { "\($0.speaker)\($0.interrupted ? "!" : "")" })")
            #expect(detail.call.bargeIns == 1)
            let firstReply = try #require(agentTurns.first)
            let callerTurnsAfter = detail.turns.filter { $0.speaker == .caller && $0.startedAt > firstReply.startedAt }
            #expect(callerTurnsAfter.count == 2, "caller turns after the first reply: \(callerTurnsAfter.map(\.startedAt))")
        }
    }
}
