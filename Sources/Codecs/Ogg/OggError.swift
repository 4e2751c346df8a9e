/// Why an Ogg or Ogg Opus stream could not be read.
public enum OggError: Error, Equatable, CustomStringConvertible {
    case missingCapturePattern(offset: Int)
    case unsupportedVersion(Int)
    case truncatedPage(offset: Int)
    case checksumMismatch(pageSequence: UInt32)
    case notOpus
    case invalidOpusHeader(String)
    case unsupportedChannelMapping(family: Int, channels: Int)
    case noAudio

    public var description: String {
        switch self {
        case .missingCapturePattern(let offset): "not an Ogg stream: no 'OggS' page at byte \(offset)"
        case .unsupportedVersion(let version): "unsupported Ogg version \(version)"
        case .truncatedPage(let offset): "truncated Ogg page at byte \(offset)"
        case .checksumMismatch(let sequence): "corrupt Ogg page \(sequence): checksum mismatch"
        case .notOpus: "the Ogg stream does not start with an OpusHead packet"
        case .invalidOpusHeader(let reason): "invalid Opus header: \(reason)"
        case .unsupportedChannelMapping(let family, let channels):
            "unsupported Opus channel mapping family \(family) with \(channels) channels (mono and stereo only)"
        case .noAudio: "the Ogg Opus stream has no audio packets"
        }
    }
}
