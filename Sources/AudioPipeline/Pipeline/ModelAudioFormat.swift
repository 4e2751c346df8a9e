/// How audio travels to and from the model.
public enum ModelAudioFormat: Sendable, Equatable {
    /// Little-endian 16-bit PCM at this rate (OpenAI Realtime's `audio/pcm`: 24 kHz).
    case pcm16(sampleRate: Int)
    /// G.711 mu-law at 8 kHz (`audio/pcmu`, beta `g711_ulaw`): a mu-law caller's frames go to the
    /// model as received (only concealed gaps are encoded).
    case muLaw

    public var sampleRate: Int {
        switch self {
        case .pcm16(let sampleRate): sampleRate
        case .muLaw: 8000
        }
    }

    /// Bytes per 20 ms of audio in this format.
    public var bytesPerFrame: Int {
        switch self {
        case .pcm16(let sampleRate): sampleRate / 50 * 2
        case .muLaw: 160
        }
    }
}
