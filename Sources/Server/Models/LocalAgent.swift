import Foundation
import AudioPipeline
import Codecs
import Synchronization

/// The embedded demo agent, the default model: it needs no credentials and no network.
///
/// It listens with the relay's own VAD, and when the caller stops talking it answers with a
/// short two-tone chime (so nobody mistakes it for a real agent) followed by the caller's own
/// utterance played back. It speaks pcm16 at 24 kHz, through the same seam and pipeline a real
/// model uses, so a call against it exercises everything but the model's network.
public struct LocalAgent: RealtimeModel {
    public var name: String { "local" }
    public var audioFormat: ModelAudioFormat { .pcm16(sampleRate: 24000) }
    /// Silence that ends a caller's turn.
    public var endOfTurn: Duration
    /// The longest utterance it remembers (longer ones are cut).
    public var maximumUtterance: Duration

    public init(endOfTurn: Duration = .milliseconds(500), maximumUtterance: Duration = .seconds(10)) {
        self.endOfTurn = endOfTurn
        self.maximumUtterance = maximumUtterance
    }

    public func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession {
        LocalAgentSession(agent: self, delegate: delegate)
    }
}

/// One conversation with the ``LocalAgent``. All state sits behind one mutex: `appendAudio`
/// comes from the call's inbound thread, `truncate`/`cancelResponse`/`close` from its controller.
final class LocalAgentSession<Delegate: RealtimeModelDelegate>: RealtimeModelSession {
    private struct State: ~Copyable {
        var detector: VoiceActivityDetector
        var pending: [Float]
        var pendingCount = 0
        var utterance: [UInt8] = []
        var inSpeech = false
        var responseCount = 0
        var closed = false
    }

    private let state: Mutex<State>
    private let delegate: Delegate
    private let maximumUtteranceBytes: Int
    private static var chime: [UInt8] { LocalAgentChime.pcm16 }

    init(agent: LocalAgent, delegate: Delegate) {
        let configuration = VoiceActivityDetector.Configuration(sampleRate: 24000, frameDurationMs: 10, hangover: agent.endOfTurn)
        let bytesPerSecond = 48000
        let maximum = agent.maximumUtterance.components
        self.maximumUtteranceBytes = Int(maximum.seconds) * bytesPerSecond
        self.delegate = delegate
        self.state = Mutex(State(detector: VoiceActivityDetector(configuration: configuration),
                                 pending: [Float](repeating: 0, count: configuration.samplesPerFrame)))
    }

    func appendAudio(_ audio: UnsafeRawBufferPointer) {
        let reply: (item: String, audio: [UInt8])? = state.withLock { state in
            guard !state.closed else { return nil }
            var reply: (String, [UInt8])?
            let samples = audio.count / 2
            for index in 0..<samples {
                let value = Int16(bitPattern: UInt16(audio[2 * index]) | UInt16(audio[2 * index + 1]) << 8)
                state.pending[state.pendingCount] = Float(value) / 32768
                state.pendingCount += 1
                guard state.pendingCount == state.pending.count else { continue }
                state.pendingCount = 0
                let event = state.pending.withUnsafeBufferPointer { state.detector.process($0) }
                switch event {
                case .speechStarted:
                    state.inSpeech = true
                    state.utterance.removeAll(keepingCapacity: true)
                case .speechEnded:
                    state.inSpeech = false
                    state.responseCount += 1
                    reply = ("local_item_\(state.responseCount)", Self.chime + state.utterance)
                case .none:
                    break
                }
            }
            if state.inSpeech, state.utterance.count + audio.count <= maximumUtteranceBytes {
                state.utterance.append(contentsOf: audio)
            }
            return reply
        }
        guard let reply else { return }
        // Faster than real time, in 100 ms deltas, like a real model; the pacer meters it out.
        reply.audio.withUnsafeBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: 4800) {
                delegate.modelAudio(item: reply.item, UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + 4800, bytes.count)]))
            }
        }
        delegate.modelEvent(.responseDone(item: reply.item))
    }

    func truncate(item: String, audioEndMs: Int) {}

    func cancelResponse() {}

    func close() {
        state.withLock { $0.closed = true }
        delegate.modelEvent(.closed(reason: "local agent closed"))
    }
}

/// The demo chime: 150 ms at 660 Hz then 150 ms at 880 Hz, pcm16 24 kHz.
enum LocalAgentChime {
    static let pcm16: [UInt8] = {
        var bytes: [UInt8] = []
        for (frequency, count) in [(660.0, 3600), (880.0, 3600)] {
            for index in 0..<count {
                let envelope = min(1, Double(min(index, count - index)) / 240)
                let value = Int16(6000 * envelope * sin(2 * Double.pi * frequency * Double(index) / 24000))
                bytes.append(UInt8(truncatingIfNeeded: value))
                bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            }
        }
        return bytes
    }()
}
