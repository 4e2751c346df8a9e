import Codecs

/// The Opus encoder of an Opus caller's outbound path: 20 ms of 16-bit PCM in, one packet out,
/// at a voice bitrate that keeps packets well inside an outbound slot, and a low complexity: a
/// relay encodes for every call at once, and speech at 32 kb/s needs little of libopus's search. A class so that the
/// copyable ``OutboundPath`` can hold the noncopyable encoder; like the path, it is used by the
/// ring's single producer only.
final class OutboundOpusEncoder: @unchecked Sendable {
    private var encoder: OpusEncoder

    /// `sampleRate` is one Opus takes (8, 12, 16, 24 or 48 kHz), checked where the stream's format is read.
    init(sampleRate: Int) {
        let configuration = OpusEncoder.Configuration(sampleRate: sampleRate, bitrate: 32000, complexity: 2)
        do {
            encoder = try OpusEncoder(configuration: configuration)
        } catch {
            preconditionFailure("an Opus encoder at \(sampleRate) Hz: \(error)")
        }
    }

    /// Encodes one frame of little-endian PCM and hands the packet to `send`; false if nothing was
    /// sent (a frame libopus refuses is dropped, counted as the ring's drops are).
    func encode(_ pcm: UnsafeRawBufferPointer, send: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: pcm.count / 2) { samples in
            // Copied out: the frame's bytes need not be aligned for Int16.
            UnsafeMutableRawBufferPointer(samples).copyMemory(from: UnsafeRawBufferPointer(rebasing: pcm[0..<samples.count * 2]))
            return withUnsafeTemporaryAllocation(byteCount: OpusPacketFrame.maximumBytes, alignment: 1) { packet in
                guard let length = try? encoder.encode(UnsafeBufferPointer(samples), into: packet) else { return false }
                return send(UnsafeRawBufferPointer(rebasing: packet[0..<length]))
            }
        }
    }
}
