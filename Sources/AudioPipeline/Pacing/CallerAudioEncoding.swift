import Codecs

/// How the caller's carrier carries audio, in both directions: what its frames decode from and
/// what the agent's audio is encoded to. A call's outbound frames are 20 ms of it.
public enum CallerAudioEncoding: Sendable, Equatable {
    /// G.711 mu-law at 8 kHz (Twilio, Plivo's `audio/x-mulaw`, Telnyx's PCMU).
    case muLaw
    /// G.711 A-law at 8 kHz (Telnyx's PCMA).
    case aLaw
    /// 16-bit linear PCM, little-endian, at 8 or 16 kHz (Plivo's `audio/x-l16`).
    case linear16(sampleRate: Int)
    /// 16-bit linear PCM in network byte order, at 8 or 16 kHz (Telnyx's L16, as RTP's L16 is).
    case linear16BigEndian(sampleRate: Int)
    /// One Opus packet per 20 ms, at 8, 16 or 24 kHz (Telnyx's OPUS): variable in size.
    case opus(sampleRate: Int)

    /// The most bytes a 20 ms frame takes in any encoding (16 kHz linear PCM).
    public static let maximumFrameBytes = 640

    public var sampleRate: Int {
        switch self {
        case .muLaw, .aLaw: 8000
        case .linear16(let sampleRate), .linear16BigEndian(let sampleRate), .opus(let sampleRate): sampleRate
        }
    }

    /// Samples in 20 ms.
    public var samplesPerFrame: Int { sampleRate / 50 }

    /// Bytes in 20 ms: the most an Opus packet may take.
    public var bytesPerFrame: Int {
        switch self {
        case .muLaw, .aLaw: samplesPerFrame
        case .linear16, .linear16BigEndian: samplesPerFrame * 2
        case .opus: OpusPacketFrame.maximumBytes
        }
    }

    /// Whether a 20 ms payload of `count` bytes is well formed: exactly a frame's bytes, or for
    /// Opus one packet of at most ``bytesPerFrame``.
    public func takesPayload(of count: Int) -> Bool {
        if case .opus = self { return (1...bytesPerFrame).contains(count) }
        return count == bytesPerFrame
    }

    /// The encoding 20 ms of agent audio is gathered in before it is sent: itself, or 16-bit
    /// PCM for Opus, which encodes whole frames.
    var gathered: CallerAudioEncoding {
        if case .opus(let sampleRate) = self { return .linear16(sampleRate: sampleRate) }
        return self
    }

    /// Encodes float samples in [-1, 1) into `output`, which holds `samples.count` samples' bytes.
    func encode(_ samples: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer) {
        switch self {
        case .muLaw:
            MuLaw.encode(samples, into: output.bindMemory(to: UInt8.self))
        case .aLaw:
            withUnsafeTemporaryAllocation(of: Int16.self, capacity: samples.count) { linear in
                PCM.convert(samples, into: linear)
                ALaw.encode(UnsafeBufferPointer(linear), into: output.bindMemory(to: UInt8.self))
            }
        case .linear16:
            // Little-endian on every platform Swift serves here (x86-64, arm64).
            PCM.convert(samples, into: output.bindMemory(to: Int16.self))
        case .linear16BigEndian:
            let linear = output.bindMemory(to: Int16.self)
            PCM.convert(samples, into: linear)
            for index in linear.indices { linear[index] = linear[index].byteSwapped }
        case .opus:
            preconditionFailure("Opus encodes whole frames (OutboundPath gathers them as PCM)")
        }
    }

    /// The byte that fills a frame with silence.
    var silenceByte: UInt8 {
        switch self {
        case .muLaw: 0xFF
        case .aLaw: 0xD5
        case .linear16, .linear16BigEndian, .opus: 0
        }
    }
}
