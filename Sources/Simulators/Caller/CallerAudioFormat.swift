import Codecs
import Foundation

/// The audio a simulated carrier streams, as its `start` announces it: the caller's voice (made
/// as 8 kHz mu-law by ``CallerScript``) is converted to it on the way out, and the agent's frames
/// are decoded from it to the 8 kHz recording on the way in.
public enum CallerAudioFormat: Sendable, Equatable {
    case muLaw
    /// G.711 A-law at 8 kHz (Telnyx's PCMA).
    case aLaw
    /// 16-bit little-endian PCM at 16 kHz (Plivo's `audio/x-l16;rate=16000`, Vonage's `audio/l16;rate=16000`).
    case linear16k
    /// 16-bit PCM in network byte order at 16 kHz (Telnyx's L16).
    case linear16kBigEndian
    /// One Opus packet per 20 ms at 16 kHz (Telnyx's OPUS).
    case opus16k

    /// The format a webhook's answer asks for: Plivo's `contentType`, Telnyx's `bidirectionalCodec`,
    /// the `content-type` of Vonage's NCCO.
    init(answer xml: String) {
        if xml.contains(#"contentType="audio/x-l16;rate=16000""#) || xml.contains(#""content-type":"audio/l16;rate=16000""#) {
            self = .linear16k
        } else if xml.contains(#"bidirectionalCodec="L16""#) {
            self = .linear16kBigEndian
        } else if xml.contains(#"bidirectionalCodec="OPUS""#) {
            self = .opus16k
        } else if xml.contains(#"bidirectionalCodec="PCMA""#) {
            self = .aLaw
        } else {
            self = .muLaw
        }
    }

    /// Bytes in one 20 ms frame; nil for Opus, whose packets vary.
    var frameBytes: Int? {
        switch self {
        case .muLaw, .aLaw: 160
        case .linear16k, .linear16kBigEndian: 640
        case .opus16k: nil
        }
    }

    /// The stream's sample rate.
    var sampleRate: Int { self == .muLaw || self == .aLaw ? 8000 : 16000 }

    /// A 20 ms frame of silence (what a load caller sends).
    var silence: [UInt8] {
        switch self {
        case .muLaw: [UInt8](repeating: 0xFF, count: 160)
        case .aLaw: [UInt8](repeating: 0xD5, count: 160)
        case .linear16k, .linear16kBigEndian: [UInt8](repeating: 0, count: 640)
        case .opus16k: SimulatedOpus.silence
        }
    }

    /// The frame of silence, base64-encoded.
    var silenceBase64: [UInt8] { Array(Data(silence).base64EncodedString().utf8) }
}

/// One call's conversions between the script's 8 kHz mu-law and the stream's format (with the
/// resamplers' history, for 16 kHz streams). Confined to the caller's event loop.
struct CallerAudioConverter {
    let format: CallerAudioFormat
    private var up = Resampler(from: 8000, to: 16000, blockSize: 160)
    private var down = Resampler(from: 16000, to: 8000, blockSize: 320)
    private let opus: SimulatedOpus?

    init(format: CallerAudioFormat) {
        self.format = format
        self.opus = format == .opus16k ? SimulatedOpus() : nil
    }

    /// A frame of the caller's voice, as the stream carries it.
    mutating func outgoing(muLaw codes: [UInt8]) -> [UInt8] {
        switch format {
        case .muLaw:
            return codes
        case .aLaw:
            var linear = [Int16](repeating: 0, count: codes.count), alaw = [UInt8](repeating: 0, count: codes.count)
            codes.withUnsafeBufferPointer { input in linear.withUnsafeMutableBufferPointer { MuLaw.decode(input, into: $0) } }
            linear.withUnsafeBufferPointer { input in alaw.withUnsafeMutableBufferPointer { ALaw.encode(input, into: $0) } }
            return alaw
        case .linear16k, .linear16kBigEndian, .opus16k:
            var narrow = [Float](repeating: 0, count: codes.count)
            codes.withUnsafeBufferPointer { input in narrow.withUnsafeMutableBufferPointer { MuLaw.decode(input, into: $0) } }
            var wide = [Float](repeating: 0, count: up.maximumOutputCount(forInputCount: narrow.count))
            let produced = narrow.withUnsafeBufferPointer { input in wide.withUnsafeMutableBufferPointer { up.process(input, into: $0) } }
            var samples = [Int16](repeating: 0, count: 320)
            wide.withUnsafeBufferPointer { input in
                samples.withUnsafeMutableBufferPointer { PCM.convert(UnsafeBufferPointer(rebasing: input[0..<min(produced, 320)]), into: $0) }
            }
            if format == .linear16kBigEndian { samples = samples.map(\.byteSwapped) }
            if let opus { return opus.encode(samples) }
            return samples.withUnsafeBytes { Array($0) }
        }
    }

    /// An agent frame from the stream, as 8 kHz samples for the recording.
    mutating func incoming(_ bytes: UnsafeRawBufferPointer) -> [Int16] {
        switch format {
        case .muLaw:
            var linear = [Int16](repeating: 0, count: bytes.count)
            linear.withUnsafeMutableBufferPointer { MuLaw.decode(bytes.assumingMemoryBound(to: UInt8.self), into: $0) }
            return linear
        case .aLaw:
            var linear = [Int16](repeating: 0, count: bytes.count)
            linear.withUnsafeMutableBufferPointer { ALaw.decode(bytes.assumingMemoryBound(to: UInt8.self), into: $0) }
            return linear
        case .linear16k, .linear16kBigEndian, .opus16k:
            var little = opus.map { $0.decode(bytes) } ?? Array(bytes[0..<bytes.count / 2 * 2])
            if format == .linear16kBigEndian {
                for index in stride(from: 0, to: little.count, by: 2) { little.swapAt(index, index + 1) }
            }
            var wide = [Float](repeating: 0, count: little.count / 2)
            little.withUnsafeBytes { raw in wide.withUnsafeMutableBufferPointer { PCM.convert(littleEndian: raw, into: $0) } }
            var narrow = [Float](repeating: 0, count: down.maximumOutputCount(forInputCount: wide.count))
            let produced = wide.withUnsafeBufferPointer { input in narrow.withUnsafeMutableBufferPointer { down.process(input, into: $0) } }
            var samples = [Int16](repeating: 0, count: produced)
            narrow.withUnsafeBufferPointer { input in
                samples.withUnsafeMutableBufferPointer { PCM.convert(UnsafeBufferPointer(rebasing: input[0..<produced]), into: $0) }
            }
            return samples
        }
    }
}
