import AudioPipeline
import CallRecords
import Foundation
import Synchronization

/// Turns one call's moments into call records for the ``RecordWriter`` (the call when it starts
/// and, complete, when it ends; each turn when it closes; notable events as they happen) and
/// into the latency and frame metrics. Every method only takes a short lock and queues a record
/// or observes a metric: nothing here waits on a database.
final class CallLog: Sendable {
    private struct OpenTurn {
        var record: TurnRecord
        var item: UInt32?
        var framesSent = 0
    }

    private struct State {
        var call: CallRecord
        var nextTurn = 0
        var nextEvent = 0
        var callerTurn: OpenTurn?
        var agentTurn: OpenTurn?
        /// The last closed turn of each speaker, for transcripts that arrive after it closed.
        var lastClosed: [TurnRecord.Speaker: TurnRecord] = [:]
        var lastClosedAgentItem: UInt32?
        /// When the caller stopped speaking, until the agent's first audio after it.
        var awaitingAnswerSince: ContinuousClock.Instant?
        var voiceToVoiceMs: [Double] = []
        /// What was said, by turn index: the conversation a new model session is given after a reconnect.
        var spoken: [Int: ConversationTurn] = [:]

        /// Closes the speaker's open turn, if any; an agent turn's played audio is what was sent.
        mutating func close(_ speaker: TurnRecord.Speaker, at time: Date) -> TurnRecord? {
            let open = speaker == .caller ? callerTurn : agentTurn
            guard var record = open?.record else { return nil }
            if speaker == .caller { callerTurn = nil } else { agentTurn = nil }
            record.endedAt = time
            if speaker == .agent, let open {
                record.audioPlayedMs = record.audioPlayedMs ?? open.framesSent * OutboundFrame.durationMs
                lastClosedAgentItem = open.item
            }
            lastClosed[speaker] = record
            return record
        }
    }

    private let writer: RecordWriter?
    private let metrics: RelayMetrics?
    private let state: Mutex<State>

    init(writer: RecordWriter?, metrics: RelayMetrics?, call: CallRecord) {
        self.writer = writer
        self.metrics = metrics
        self.state = Mutex(State(call: call))
        writer?.submit(.call(call))
    }

    func callerStartedSpeaking() {
        let now = Date()
        let closed = state.withLock { state -> [TurnRecord] in
            var closed: [TurnRecord] = []
            if let agent = state.close(.agent, at: now) { closed.append(agent) }
            if state.callerTurn == nil {
                state.callerTurn = OpenTurn(record: TurnRecord(callSid: state.call.callSid, index: state.nextTurn, speaker: .caller, startedAt: now))
                state.nextTurn += 1
            }
            state.awaitingAnswerSince = nil
            return closed
        }
        for turn in closed { writer?.submit(.turn(turn)) }
    }

    /// The VAD decided the caller stopped; it decides `decisionDelay` (its hangover) after the
    /// last speech, which is where voice-to-voice latency and the turn's end are measured from.
    func callerStoppedSpeaking(decisionDelay: Duration) {
        let turn = state.withLock { state -> TurnRecord? in
            state.awaitingAnswerSince = .now - decisionDelay
            return state.close(.caller, at: Date().addingTimeInterval(-Double(decisionDelay / .milliseconds(1)) / 1000))
        }
        if let turn { writer?.submit(.turn(turn)) }
    }

    /// A frame of agent audio went to the caller (the per-frame path: a lock and a counter).
    func agentAudioSent(item: UInt32) {
        var answered: Duration?
        let closed = state.withLock { state -> TurnRecord? in
            if let since = state.awaitingAnswerSince {
                let elapsed = ContinuousClock.now - since
                state.voiceToVoiceMs.append(Double(elapsed / .microseconds(1)) / 1000)
                state.awaitingAnswerSince = nil
                answered = elapsed
            }
            if state.agentTurn?.item == item {
                state.agentTurn?.framesSent += 1
                return nil
            }
            let now = Date()
            let previous = state.close(.agent, at: now)
            state.agentTurn = OpenTurn(record: TurnRecord(callSid: state.call.callSid, index: state.nextTurn, speaker: .agent, startedAt: now),
                                       item: item, framesSent: 1)
            state.nextTurn += 1
            return previous
        }
        if let closed { writer?.submit(.turn(closed)) }
        if let answered { metrics?.voiceToVoice.record(answered) }
    }

    /// The caller spoke over the agent: its turn ends (or, if the caller's speech already closed
    /// it, is amended), cut off after `playedMs` of `item`. With no item the caller interrupted a
    /// response before any of it was played: counted, with no turn to mark.
    func bargeIn(item: UInt32?, playedMs: Int) {
        let turn = state.withLock { state -> TurnRecord? in
            state.call.bargeIns += 1
            guard let item else { return nil }
            if state.agentTurn?.item == item {
                state.agentTurn?.record.audioPlayedMs = playedMs
                _ = state.close(.agent, at: Date())
            } else if state.lastClosedAgentItem != item {
                return nil
            }
            guard var cut = state.lastClosed[.agent] else { return nil }
            cut.interrupted = true
            cut.audioPlayedMs = playedMs
            state.lastClosed[.agent] = cut
            return cut
        }
        if let turn { writer?.submit(.turn(turn)) }
        event("barge-in", item.map { "item \($0), heard \(playedMs) ms" } ?? "before any audio was heard")
    }

    /// A transcript from the model: it belongs to the speaker's current turn, or their last one.
    func transcript(_ speaker: TurnRecord.Speaker, _ text: String) {
        let updated = state.withLock { state -> TurnRecord? in
            func append(_ existing: String?) -> String { existing.map { $0 + " " + text } ?? text }
            var written: TurnRecord?
            let turn: TurnRecord
            switch speaker {
            case .caller where state.callerTurn != nil:
                let existing = state.callerTurn?.record.transcript
                state.callerTurn?.record.transcript = append(existing)
                turn = state.callerTurn!.record
            case .agent where state.agentTurn != nil:
                let existing = state.agentTurn?.record.transcript
                state.agentTurn?.record.transcript = append(existing)
                turn = state.agentTurn!.record
            default:
                guard var last = state.lastClosed[speaker] else { return nil }
                last.transcript = append(last.transcript)
                state.lastClosed[speaker] = last
                turn = last
                written = last
            }
            state.spoken[turn.index] = ConversationTurn(speaker: speaker == .caller ? .caller : .agent, text: turn.transcript ?? text)
            return written
        }
        if let updated { writer?.submit(.turn(updated)) }
    }

    /// The call's transcribed turns, oldest first: the last `limit` of them.
    func conversation(limit: Int) -> [ConversationTurn] {
        state.withLock { state in state.spoken.keys.sorted().suffix(limit).compactMap { state.spoken[$0] } }
    }

    func event(_ kind: String, _ detail: String) {
        let event = state.withLock { state -> CallEvent in
            defer { state.nextEvent += 1 }
            return CallEvent(callSid: state.call.callSid, sequence: state.nextEvent, at: Date(), kind: kind, detail: detail)
        }
        writer?.submit(.event(event))
    }

    /// The call is over: open turns close, and the complete call record is written.
    func end(reason: String, counters: PipelineCounters, reconnects: Int) {
        defer {
            state.withLock { $0.call }.recordMetrics(into: metrics)
            metrics?.jitterDelay.record(.milliseconds(counters.jitterDelayMs.load(ordering: .relaxed)))
            metrics?.agentFramesOverflowed.increment(by: Int64(counters.outboundDropped.load(ordering: .relaxed)))
        }
        let now = Date()
        let (turns, call) = state.withLock { state -> ([TurnRecord], CallRecord) in
            let turns = [state.close(.caller, at: now), state.close(.agent, at: now)].compactMap { $0 }
            state.call.endedAt = now
            state.call.endReason = reason
            state.call.framesIn = counters.framesIn.load(ordering: .relaxed)
            state.call.framesOut = counters.framesToCaller.load(ordering: .relaxed)
            state.call.framesLost = counters.inboundDropped.load(ordering: .relaxed)
            state.call.framesConcealed = counters.concealed.load(ordering: .relaxed)
            state.call.reconnects = reconnects
            let sorted = state.voiceToVoiceMs.sorted()
            state.call.voiceToVoiceP50Ms = Self.percentile(sorted, 0.5)
            state.call.voiceToVoiceP95Ms = Self.percentile(sorted, 0.95)
            return (turns, state.call)
        }
        for turn in turns { writer?.submit(.turn(turn)) }
        writer?.submit(.call(call))
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}

extension CallRecord {
    /// A finished call's totals, added to the metrics once.
    func recordMetrics(into metrics: RelayMetrics?) {
        guard let metrics else { return }
        metrics.framesIn.increment(by: Int64(framesIn))
        metrics.framesOut.increment(by: Int64(framesOut))
        metrics.framesLost.increment(by: Int64(framesLost))
        metrics.framesConcealed.increment(by: Int64(framesConcealed))
        metrics.modelReconnects.increment(by: Int64(reconnects))
        if let endedAt { metrics.callDuration.record(.milliseconds(Int64(endedAt.timeIntervalSince(startedAt) * 1000))) }
    }
}
