import Foundation
import AudioPipeline
import Codecs
import Synchronization

/// The embedded demo agent, the default model: it needs no credentials and no network.
///
/// It listens with the relay's own VAD, and when the caller stops talking it answers with a
/// short two-tone chime (so nobody mistakes it for a real agent) followed by the caller's own
/// utterance played back. It speaks pcm16 at 24 kHz (or mu-law), through the same seam and
/// pipeline a real model uses, so a call against it exercises everything but the model's network.
/// Like a real model with server VAD, it reports when it hears the caller start speaking.
public struct LocalAgent: RealtimeModel {
    public var name: String { "local" }
    public var endpoint: String { "in-process" }
    public var audioFormat: ModelAudioFormat
    /// Silence that ends a caller's turn.
    public var endOfTurn: Duration
    /// The longest utterance it remembers (longer ones are cut).
    public var maximumUtterance: Duration

    public init(audioFormat: ModelAudioFormat = .pcm16(sampleRate: 24000), endOfTurn: Duration = .milliseconds(500),
                maximumUtterance: Duration = .seconds(10)) {
        precondition(audioFormat == .muLaw || audioFormat == .pcm16(sampleRate: 24000), "the local agent speaks pcm16 24 kHz or mu-law")
        self.audioFormat = audioFormat
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
    /// The reply being streamed, so the next one waits for it.
    private let replies = Mutex<Task<Void, Never>?>(nil)
    private let format: ModelAudioFormat
    private let maximumUtteranceBytes: Int
    private let chime: [UInt8]

    init(agent: LocalAgent, delegate: Delegate) {
        let configuration = VoiceActivityDetector.Configuration(sampleRate: agent.audioFormat.sampleRate, frameDurationMs: 10,
                                                                hangover: agent.endOfTurn)
        let bytesPerSecond = agent.audioFormat.bytesPerFrame * 50
        self.format = agent.audioFormat
        self.chime = agent.audioFormat == .muLaw ? LocalAgentChime.muLaw : LocalAgentChime.pcm16
        self.maximumUtteranceBytes = agent.maximumUtterance.wholeMilliseconds * bytesPerSecond / 1000
        self.delegate = delegate
        self.state = Mutex(State(detector: VoiceActivityDetector(configuration: configuration),
                                 pending: [Float](repeating: 0, count: configuration.samplesPerFrame)))
    }

    func appendAudio(_ audio: UnsafeRawBufferPointer) {
        let isMuLaw = format == .muLaw
        let (reply, heardSpeech): ((item: String, audio: [UInt8])?, Bool) = state.withLock { state in
            guard !state.closed else { return (nil, false) }
            var reply: (String, [UInt8])?
            var heardSpeech = false
            let samples = isMuLaw ? audio.count : audio.count / 2
            for index in 0..<samples {
                let value = isMuLaw ? MuLawTable.linear[Int(audio[index])]
                    : Int16(bitPattern: UInt16(audio[2 * index]) | UInt16(audio[2 * index + 1]) << 8)
                state.pending[state.pendingCount] = Float(value) / 32768
                state.pendingCount += 1
                guard state.pendingCount == state.pending.count else { continue }
                state.pendingCount = 0
                let event = state.pending.withUnsafeBufferPointer { state.detector.process($0) }
                switch event {
                case .speechStarted:
                    state.inSpeech = true
                    heardSpeech = true
                    state.utterance.removeAll(keepingCapacity: true)
                case .speechEnded:
                    state.inSpeech = false
                    state.responseCount += 1
                    reply = ("local_item_\(state.responseCount)", chime + state.utterance)
                case .none:
                    break
                }
            }
            if state.inSpeech, state.utterance.count + audio.count <= maximumUtteranceBytes {
                state.utterance.append(contentsOf: audio)
            }
            return (reply, heardSpeech)
        }
        if heardSpeech { delegate.modelEvent(.speechStarted) }
        guard let reply else { return }
        // Faster than real time, in 100 ms deltas, like a real model, and held back like one when the
        // call's playout buffer is full; replies follow one another in order.
        let delta = format.bytesPerFrame * 5
        let delegate = self.delegate
        replies.withLock { previous in
            let earlier = previous
            previous = Task {
                await earlier?.value
                for start in stride(from: 0, to: reply.audio.count, by: delta) {
                    await delegate.waitForPlaybackRoom()
                    if Task.isCancelled { return }
                    reply.audio[start..<min(start + delta, reply.audio.count)].withUnsafeBytes {
                        delegate.modelAudio(item: reply.item, $0)
                    }
                }
                delegate.modelEvent(.responseDone(item: reply.item))
            }
        }
    }

    func truncate(item: String, audioEndMs: Int) {}

    /// Barge-in: stop streaming the current reply.
    func cancelResponse() { replies.withLock { $0?.cancel() } }

    func close() {
        state.withLock { $0.closed = true }
        replies.withLock { $0?.cancel() }
        delegate.modelEvent(.closed(reason: "local agent closed"))
    }
}

/// The demo chime: 150 ms at 660 Hz then 150 ms at 880 Hz.
enum LocalAgentChime {
    static func samples(rate: Int) -> [Int16] {
        var samples: [Int16] = []
        let count = rate * 15 / 100
        for frequency in [660.0, 880.0] {
            for index in 0..<count {
                let envelope = min(1, Double(min(index, count - index)) / Double(rate / 100))
                samples.append(Int16(6000 * envelope * sin(2 * Double.pi * frequency * Double(index) / Double(rate))))
            }
        }
        return samples
    }

    static let pcm16: [UInt8] = samples(rate: 24000).flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }

    static let muLaw: [UInt8] = {
        let linear = samples(rate: 8000)
        var codes = [UInt8](repeating: 0, count: linear.count)
        linear.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return codes
    }()
}

/// mu-law code to linear value, for reading mu-law a byte at a time.
enum MuLawTable {
    static let linear: [Int16] = {
        var values = [Int16](repeating: 0, count: 256)
        let codes = (0...255).map { UInt8($0) }
        codes.withUnsafeBufferPointer { input in values.withUnsafeMutableBufferPointer { MuLaw.decode(input, into: $0) } }
        return values
    }()
}
