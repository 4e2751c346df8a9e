/// The file formats `voice-relay convert` reads and writes, chosen by file extension.
public enum AudioFileFormat: String, Sendable, CaseIterable {
    /// RIFF/WAVE, 16-bit PCM.
    case wav
    /// Raw G.711 mu-law bytes, always 8 kHz.
    case muLaw = "ulaw"
    /// Raw G.711 A-law bytes, always 8 kHz.
    case aLaw = "alaw"
    /// Headerless signed 16-bit little-endian PCM; its rate must be given.
    case raw
    /// Ogg Opus (RFC 7845).
    case opus

    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "wav": self = .wav
        case "ulaw", "pcmu": self = .muLaw
        case "alaw", "pcma": self = .aLaw
        case "raw", "pcm", "s16": self = .raw
        case "opus", "ogg": self = .opus
        default: return nil
        }
    }

    /// The only rate the format can carry, if it has just one.
    public var fixedSampleRate: Int? {
        switch self {
        case .muLaw, .aLaw: 8000
        case .wav, .raw, .opus: nil
        }
    }

    /// Whether a file of this format can hold audio at `sampleRate`.
    public func canHold(sampleRate: Int) -> Bool {
        switch self {
        case .muLaw, .aLaw: sampleRate == 8000
        case .opus: OpusSampleRate.supported.contains(sampleRate)
        case .wav, .raw: sampleRate > 0 && sampleRate <= 384_000
        }
    }
}
