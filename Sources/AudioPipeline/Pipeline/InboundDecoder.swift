import Codecs

/// The first inbound stage: turns network frames into float PCM and fills in lost frames.
public protocol InboundDecoder: ~Copyable, SendableMetatype {
    associatedtype Frame: BitwiseCopyable & Sendable
    /// Rate of the decoded audio.
    var sampleRate: Int { get }
    /// Samples in one decoded 20 ms frame.
    var samplesPerFrame: Int { get }
    /// Decodes `frame`; returns samples written.
    mutating func decode(_ frame: Frame, into pcm: UnsafeMutableBufferPointer<Float>) -> Int
    /// Produces 20 ms standing in for a lost frame; `next` is the frame after the gap if it has arrived.
    mutating func conceal(next: Frame?, into pcm: UnsafeMutableBufferPointer<Float>) -> Int
    /// The model format the frames already are, if any: a model taking it gets each received
    /// frame's own bytes instead of a re-encoding of the decoded audio (which the VAD still reads).
    static var passThroughFormat: ModelAudioFormat? { get }
    /// Calls `body` with the frame's audio bytes as received; asked only when
    /// ``passThroughFormat`` is the model's format.
    func withPassThroughBytes(of frame: Frame, _ body: (UnsafeRawBufferPointer) -> Void)
}

extension InboundDecoder where Self: ~Copyable {
    public static var passThroughFormat: ModelAudioFormat? { nil }
    public func withPassThroughBytes(of frame: Frame, _ body: (UnsafeRawBufferPointer) -> Void) {
        preconditionFailure("\(Self.self) passes no frames through")
    }
}

/// What the G.711 and linear PCM decoders put in a lost frame's place. Concealment repeats
/// nothing: it fades the last sample out over half a frame and then gives silence, which sounds
/// less wrong than a buzz of repeated frames.
struct FadeOutConcealment: Sendable {
    private var lastSample: Float = 0

    /// Remembers where a decoded frame of `count` samples ended.
    mutating func decoded(_ pcm: UnsafeMutableBufferPointer<Float>, count: Int) {
        lastSample = pcm[count - 1]
    }

    /// Fills `count` samples standing in for a lost frame.
    mutating func conceal(into pcm: UnsafeMutableBufferPointer<Float>, count: Int) -> Int {
        let fade = count / 2
        for index in 0..<count {
            pcm[index] = index < fade ? lastSample * Float(fade - index) / Float(fade) : 0
        }
        lastSample = 0
        return count
    }
}

/// G.711 mu-law at 8 kHz.
public struct MuLawDecoder: InboundDecoder {
    public typealias Frame = G711Frame
    public var sampleRate: Int { 8000 }
    public var samplesPerFrame: Int { 160 }
    private var concealment = FadeOutConcealment()

    public init() {}

    public mutating func decode(_ frame: G711Frame, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        frame.payload.span.withUnsafeBufferPointer { codes in MuLaw.decode(codes, into: pcm) }
        concealment.decoded(pcm, count: 160)
        return 160
    }

    /// Twilio's frames are what a mu-law model takes, byte for byte.
    public static var passThroughFormat: ModelAudioFormat? { .muLaw }

    public func withPassThroughBytes(of frame: G711Frame, _ body: (UnsafeRawBufferPointer) -> Void) {
        frame.payload.span.withUnsafeBytes(body)
    }

    public mutating func conceal(next: G711Frame?, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        concealment.conceal(into: pcm, count: 160)
    }
}

/// G.711 A-law at 8 kHz (Telnyx's PCMA).
public struct ALawDecoder: InboundDecoder {
    public typealias Frame = G711Frame
    public var sampleRate: Int { 8000 }
    public var samplesPerFrame: Int { 160 }
    private var concealment = FadeOutConcealment()

    public init() {}

    public mutating func decode(_ frame: G711Frame, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: 160) { linear in
            frame.payload.span.withUnsafeBufferPointer { codes in ALaw.decode(codes, into: linear) }
            PCM.convert(UnsafeBufferPointer(linear), into: pcm)
        }
        concealment.decoded(pcm, count: 160)
        return 160
    }

    public mutating func conceal(next: G711Frame?, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        concealment.conceal(into: pcm, count: 160)
    }
}

/// 16-bit linear PCM at 8 or 16 kHz, little-endian (Plivo's `audio/x-l16`) or in network byte
/// order (Telnyx's L16): wideband callers' audio reaches the model without G.711's companding.
public struct Linear16Decoder: InboundDecoder {
    public typealias Frame = Linear16Frame
    public let sampleRate: Int
    public let bigEndian: Bool
    public var samplesPerFrame: Int { sampleRate / 50 }
    private var concealment = FadeOutConcealment()

    public init(sampleRate: Int, bigEndian: Bool = false) {
        precondition(sampleRate == 8000 || sampleRate == 16000, "linear PCM callers are 8 or 16 kHz")
        self.sampleRate = sampleRate
        self.bigEndian = bigEndian
    }

    public mutating func decode(_ frame: Linear16Frame, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        let count = samplesPerFrame
        var payload = frame.payload
        if bigEndian {
            var bytes = payload.mutableSpan
            bytes.withUnsafeMutableBytes { raw in
                for index in stride(from: 0, to: Int(frame.byteCount) - 1, by: 2) { raw.swapAt(index, index + 1) }
            }
        }
        payload.span.withUnsafeBytes { bytes in
            PCM.convert(littleEndian: UnsafeRawBufferPointer(rebasing: bytes[0..<min(Int(frame.byteCount), 2 * count)]),
                        into: UnsafeMutableBufferPointer(rebasing: pcm[0..<count]))
        }
        if Int(frame.byteCount) < 2 * count {
            // A frame of the other rate's size: what is missing is silence, not stale samples.
            pcm[Int(frame.byteCount) / 2..<count].update(repeating: 0)
        }
        concealment.decoded(pcm, count: count)
        return count
    }

    public mutating func conceal(next: Linear16Frame?, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        concealment.conceal(into: pcm, count: samplesPerFrame)
    }
}
