import AudioPipeline
import Codecs
import Foundation
@testable import Server
import Synchronization

/// A model stand-in for conversation tests, at the relay's model seam: it listens with its own
/// VAD, thinks for a moment after the caller stops, then answers with a tone of a fixed length
/// as one response (`responseStarted`, audio deltas faster than real time, `audioDone`,
/// `responseEnded`), like a Realtime model with server VAD. A caller who starts again while it
/// thinks keeps the floor: that answer is never started. It logs everything the relay asked of
/// it, and whether a response was in progress when a cancel came.
struct ScriptedModel: RealtimeModel {
    var name: String { "scripted" }
    var endpoint: String { "in-process" }
    var audioFormat: ModelAudioFormat { .muLaw }
    let log = Log()
    var replyLength: Duration = .milliseconds(1200)
    var thinking: Duration = .milliseconds(600)
    var endOfTurn: Duration = .milliseconds(300)
    /// Speech shorter than this is not a turn to answer (nor does it withdraw an answer), like a
    /// server VAD's minimum speech duration; zero answers every stretch its VAD finds.
    var shortestTurn: Duration = .zero

    final class Log: Sendable {
        struct Entries {
            var responsesStarted: [String] = []
            var cancels: [(item: String?, inProgress: Bool)] = []
            var truncations: [(item: String, audioEndMs: Int)] = []
            var digits: [String] = []
            var restored: [[ConversationTurn]] = []
            var answersWithdrawn = 0
        }
        let entries = Mutex(Entries())
        var snapshot: Entries { entries.withLock { $0 } }
    }

    func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession {
        ScriptedModelSession(model: self, delegate: delegate)
    }
}

final class ScriptedModelSession<Delegate: RealtimeModelDelegate>: RealtimeModelSession {
    private struct State: ~Copyable {
        var detector: VoiceActivityDetector
        var block: [Float] = .init(repeating: 0, count: 80)
        var filled = 0
        /// Where the speech now going on began (a frame of the VAD), and whether it has lasted
        /// ``ScriptedModel/shortestTurn`` yet.
        var speechOnset = 0
        var isTurn = false
        var replies = 0
        /// The answer being thought about or spoken, and its item.
        var answer: Task<Void, Never>?
        var thinkingOf: String?
        var speaking: String?
    }

    private let model: ScriptedModel
    private let delegate: Delegate
    private let state: Mutex<State>

    init(model: ScriptedModel, delegate: Delegate) {
        self.model = model
        self.delegate = delegate
        state = Mutex(State(detector: VoiceActivityDetector(configuration: .init(sampleRate: 8000, frameDurationMs: 10,
                                                                                 hangover: model.endOfTurn))))
    }

    func appendAudio(_ audio: UnsafeRawBufferPointer) {
        var ended = false
        state.withLock { state in
            for code in audio {
                state.block[state.filled] = Float(MuLawTable.linear[Int(code)]) / 32768
                state.filled += 1
                guard state.filled == state.block.count else { continue }
                state.filled = 0
                let frame = state.detector.frameIndex
                switch state.block.withUnsafeBufferPointer({ state.detector.process($0) }) {
                case .speechStarted(let onset):
                    state.speechOnset = onset
                    state.isTurn = false
                case .speechEnded:
                    ended = ended || state.isTurn
                    state.isTurn = false
                case .none:
                    break
                }
                // Long enough to be a turn: still thinking, the caller goes on, so this answer is withdrawn unsaid.
                if state.detector.isSpeech, !state.isTurn, (frame - state.speechOnset + 1) * 10 >= model.shortestTurn.wholeMilliseconds {
                    state.isTurn = true
                    if state.thinkingOf != nil {
                        state.answer?.cancel()
                        state.thinkingOf = nil
                        model.log.entries.withLock { $0.answersWithdrawn += 1 }
                    }
                }
            }
        }
        if ended { answer(after: model.thinking, length: model.replyLength) }
    }

    /// Thinks, then speaks one response of `length`, after any answer still going.
    private func answer(after thinking: Duration, length: Duration) {
        let codes = Self.tone(length)
        let (delegate, log) = (self.delegate, model.log)
        state.withLock { state in
            state.replies += 1
            let item = "reply_\(state.replies)"
            state.thinkingOf = item
            let earlier = state.answer
            state.answer = Task { [weak self] in
                await earlier?.value
                try? await Task.sleep(for: thinking)
                guard !Task.isCancelled, let self else { return }
                self.state.withLock { state in
                    state.thinkingOf = nil
                    state.speaking = item
                }
                log.entries.withLock { $0.responsesStarted.append(item) }
                delegate.modelEvent(.responseStarted)
                defer {
                    self.state.withLock { $0.speaking = nil }
                    delegate.modelEvent(.responseEnded)
                }
                for start in stride(from: 0, to: codes.count, by: 800) {
                    await delegate.waitForPlaybackRoom()
                    if Task.isCancelled { return }
                    codes[start..<min(start + 800, codes.count)].withUnsafeBytes { delegate.modelAudio(item: item, $0) }
                }
                delegate.modelEvent(.audioDone(item: item))
            }
        }
    }

    static func tone(_ length: Duration) -> [UInt8] {
        let count = length.wholeMilliseconds * 8
        let linear = (0..<count).map { Int16(5000 * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var codes = [UInt8](repeating: 0xFF, count: count)
        linear.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return codes
    }

    func truncate(item: String, audioEndMs: Int) {
        model.log.entries.withLock { $0.truncations.append((item, audioEndMs)) }
    }

    func cancelResponse() {
        let speaking = state.withLock { state -> String? in
            if state.speaking != nil { state.answer?.cancel() }
            return state.speaking
        }
        model.log.entries.withLock { $0.cancels.append((speaking, speaking != nil)) }
    }

    func sendDigit(_ digit: String) {
        model.log.entries.withLock { $0.digits.append(digit) }
        answer(after: .milliseconds(100), length: .milliseconds(400))
    }

    func restore(history: [ConversationTurn]) {
        model.log.entries.withLock { $0.restored.append(history) }
    }

    func close() {
        state.withLock { $0.answer?.cancel() }
    }
}
