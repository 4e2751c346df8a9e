import Codecs

/// Opus packets (20 ms) to float PCM. A lost packet is rebuilt from the in-band FEC of the
/// packet after it when that one is already here, else concealed by libopus PLC; a packet
/// libopus rejects is concealed the same way rather than stopping the call.
public struct OpusInboundDecoder: InboundDecoder, ~Copyable {
    public typealias Frame = OpusPacketFrame
    public let sampleRate: Int
    public var samplesPerFrame: Int { sampleRate / 50 }
    private var decoder: OpusDecoder
    /// Packets libopus refused (each was concealed instead).
    public private(set) var corruptPackets = 0

    public init(sampleRate: Int = 48000) throws(OpusError) {
        self.decoder = try OpusDecoder(sampleRate: sampleRate)
        self.sampleRate = sampleRate
    }

    public mutating func decode(_ frame: OpusPacketFrame, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        let output = UnsafeMutableBufferPointer(rebasing: pcm[0..<samplesPerFrame])
        let decoded = frame.bytes.span.withUnsafeBufferPointer { bytes -> Int? in
            let packet = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<Int(frame.length)]))
            return try? decoder.decode(packet, into: output)
        }
        if let decoded { return decoded }
        corruptPackets += 1
        return conceal(next: nil, into: pcm)
    }

    public mutating func conceal(next: OpusPacketFrame?, into pcm: UnsafeMutableBufferPointer<Float>) -> Int {
        let output = UnsafeMutableBufferPointer(rebasing: pcm[0..<samplesPerFrame])
        if let next {
            let recovered = next.bytes.span.withUnsafeBufferPointer { bytes -> Int? in
                let packet = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<Int(next.length)]))
                return try? decoder.recover(fromNext: packet, into: output)
            }
            if let recovered { return recovered }
        }
        return (try? decoder.conceal(into: output)) ?? {
            output.update(repeating: 0)
            return samplesPerFrame
        }()
    }
}
