import CLibOpus
import Foundation
import SeededRandom

/// A deterministic speech-like test signal: a few harmonics of a gliding pitch with a
/// syllable-rate envelope and a little noise, so codecs and filters see realistic spectra.
enum TestSignal {
    static func speechLike(sampleRate: Int, seconds: Double) -> [Int16] {
        var generator = SplitMix64(seed: 0x5EED)
        let count = Int(Double(sampleRate) * seconds)
        var phase = 0.0
        return (0..<count).map { index in
            let t = Double(index) / Double(sampleRate)
            let pitch = 140 + 40 * sin(2 * .pi * 1.3 * t)
            phase += 2 * .pi * pitch / Double(sampleRate)
            let envelope = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
            var value = 0.0
            for harmonic in 1...8 where Double(harmonic) * pitch < Double(sampleRate) / 2 {
                value += sin(Double(harmonic) * phase) / Double(harmonic)
            }
            let noise = Double(generator.next() % 2001) / 1000 - 1
            return Int16(8000 * envelope * value + 300 * noise)
        }
    }
}

/// Settings for the direct libopus baseline (the wrapper's defaults besides FEC/DTX off).
enum DirectOpus {
    static func configure(_ encoder: OpaquePointer, bitrate: Int32, complexity: Int32) {
        direct_opus_configure(encoder, bitrate, complexity)
    }
}
