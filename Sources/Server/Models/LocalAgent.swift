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
package final class LocalAgentSession<Delegate: RealtimeModelDelegate>: RealtimeModelSession {
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

    package init(agent: LocalAgent, delegate: Delegate) {
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

    package func appendAudio(_ audio: UnsafeRawBufferPointer) {
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
        if let reply { speak(item: reply.item, reply.audio) }
    }

    /// Streams a reply faster than real time, in 100 ms deltas, like a real model, and held back
    /// like one when the call's playout buffer is full; replies follow one another in order.
    /// Each is a response: started, its audio, its audio done, ended (also when cancelled).
    private func speak(item: String, _ audio: [UInt8]) {
        let delta = format.bytesPerFrame * 5
        let delegate = self.delegate
        replies.withLock { previous in
            let earlier = previous
            previous = Task {
                await earlier?.value
                guard !Task.isCancelled else { return }
                delegate.modelEvent(.responseStarted)
                defer { delegate.modelEvent(.responseEnded) }
                for start in stride(from: 0, to: audio.count, by: delta) {
                    await delegate.waitForPlaybackRoom()
                    if Task.isCancelled { return }
                    audio[start..<min(start + delta, audio.count)].withUnsafeBytes {
                        delegate.modelAudio(item: item, $0)
                    }
                }
                delegate.modelEvent(.audioDone(item: item))
            }
        }
    }

    package func truncate(item: String, audioEndMs: Int) {}

    /// Barge-in: stop streaming the current reply.
    package func cancelResponse() { replies.withLock { $0?.cancel() } }

    /// A key press is answered audibly: the chime, then the key's own keypad tone.
    package func sendDigit(_ digit: String) {
        guard let tone = LocalAgentChime.keypadTone(digit, format: format), let item = nextItem() else { return }
        speak(item: item, chime + tone)
    }

    /// A response asked for without new speech (`response.create`): the chime alone.
    package func respond() {
        if let item = nextItem() { speak(item: item, chime) }
    }

    /// The next response's item name, unless the session is closed.
    private func nextItem() -> String? {
        state.withLock { state in
            guard !state.closed else { return nil }
            state.responseCount += 1
            return "local_item_\(state.responseCount)"
        }
    }

    /// The local agent keeps no conversation beyond the current utterance: nothing to restore.
    package func restore(history: [ConversationTurn]) {}

    package func close() {
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

    static let pcm16: [UInt8] = encode(samples(rate: 24000), as: .pcm16(sampleRate: 24000))
    static let muLaw: [UInt8] = encode(samples(rate: 8000), as: .muLaw)

    /// The keypad's two frequencies (ITU-T Q.23) for a digit, `*`, `#` or A-D.
    static func keypadFrequencies(_ key: String) -> (low: Double, high: Double)? {
        let rows: [Double] = [697, 770, 852, 941]
        let columns: [Double] = [1209, 1336, 1477, 1633]
        let layout = ["1", "2", "3", "A", "4", "5", "6", "B", "7", "8", "9", "C", "*", "0", "#", "D"]
        guard let index = layout.firstIndex(of: key.uppercased()) else { return nil }
        return (rows[index / 4], columns[index % 4])
    }

    /// 300 ms of a key's keypad tone in the agent's format.
    static func keypadTone(_ key: String, format: ModelAudioFormat) -> [UInt8]? {
        guard let (low, high) = keypadFrequencies(key) else { return nil }
        let rate = format.sampleRate
        let count = rate * 3 / 10
        let tone = (0..<count).map { index -> Int16 in
            let t = Double(index) / Double(rate)
            let envelope = min(1, Double(min(index, count - index)) / Double(rate / 100))
            return Int16(4000 * envelope * (sin(2 * Double.pi * low * t) + sin(2 * Double.pi * high * t)))
        }
        return encode(tone, as: format)
    }

    private static func encode(_ linear: [Int16], as format: ModelAudioFormat) -> [UInt8] {
        guard format == .muLaw else {
            return linear.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        }
        var codes = [UInt8](repeating: 0, count: linear.count)
        linear.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return codes
    }
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
