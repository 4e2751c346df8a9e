import Codecs

/// A simulated Telnyx's Opus at 16 kHz: the caller's frames encoded, the agent's packets decoded
/// (to little-endian PCM). A class so the copyable converter can hold the noncopyable codecs;
/// confined to the caller's event loop.
final class SimulatedOpus {
    private var encoder: OpusEncoder
    private var decoder: OpusDecoder

    init() {
        do {
            encoder = try OpusEncoder(configuration: .init(sampleRate: 16000, bitrate: 24000, inbandFEC: true, expectedPacketLossPercent: 5))
            decoder = try OpusDecoder(sampleRate: 16000)
        } catch {
            preconditionFailure("Opus at 16 kHz: \(error)")
        }
    }

    /// One packet of 20 ms (320 samples); empty if libopus refused it.
    func encode(_ samples: [Int16]) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 400)
        let length = samples.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBytes { (try? encoder.encode(input, into: $0)) ?? 0 }
        }
        return Array(packet[0..<length])
    }

    /// A packet's 16-bit samples as little-endian bytes; 20 ms of silence if it does not decode.
    func decode(_ packet: UnsafeRawBufferPointer) -> [UInt8] {
        var samples = [Int16](repeating: 0, count: 960)
        let count = samples.withUnsafeMutableBufferPointer { (try? decoder.decode(packet, into: $0)) ?? 320 }
        return samples[0..<count].withUnsafeBytes { Array($0) }
    }

    /// A 20 ms packet of silence (what a load caller sends).
    static let silence: [UInt8] = SimulatedOpus().encode([Int16](repeating: 0, count: 320))
}
