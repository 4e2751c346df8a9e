import Codecs
import Testing

/// Float to 16-bit conversion (eight lanes at a time, then one by one) against a plain reference.
@Suite struct PCMTests {
    /// Full scale at 1.0: round half away from zero, clamp to Int16, NaN to 0.
    static func referenceInt16(_ sample: Float) -> Int16 {
        guard !sample.isNaN else { return 0 }
        let rounded = (Double(sample) * 32768).rounded(.toNearestOrAwayFromZero)
        return Int16(max(-32768, min(32767, rounded)))
    }

    /// Every integer step, the halves and quarters between them, beyond full scale both ways,
    /// and the values that are not numbers; 7 more than a multiple of 8, so a tail remains.
    static let awkwardFloats: [Float] = {
        var floats: [Float] = []
        for step in -32770...32770 {
            for fraction: Float in [0, 0.25, 0.5, -0.5, 0.75] { floats.append((Float(step) + fraction) / 32768) }
        }
        floats += [.nan, -.nan, .infinity, -.infinity, -0.0, 1e30, -1e30]
        while floats.count % 8 != 7 { floats.append(0.1) }
        return floats
    }()

    @Test func floatsConvertLikeTheReference() {
        let floats = Self.awkwardFloats
        var converted = [Int16](repeating: 1, count: floats.count)
        floats.withUnsafeBufferPointer { input in converted.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        let mismatches = floats.indices.filter { converted[$0] != Self.referenceInt16(floats[$0]) }
        #expect(mismatches.isEmpty, "first mismatching inputs: \(mismatches.prefix(5).map { floats[$0] })")
    }

    /// Every 16-bit value as little-endian bytes at an odd address (the SIMD loads are unaligned)
    /// with a tail of 7 and a trailing odd byte: each float equals `Float(Int16) / 32768`.
    @Test func littleEndianBytesConvertExactly() {
        let samples = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) } + [1, -1, 32767, -32768, 0, 12345, -12345]
        var bytes: [UInt8] = [0xAA]
        for sample in samples { bytes += [UInt8(truncatingIfNeeded: sample), UInt8(truncatingIfNeeded: sample >> 8)] }
        bytes.append(0x55)
        var floats = [Float](repeating: .nan, count: samples.count + 1)
        bytes.withUnsafeBytes { raw in
            floats.withUnsafeMutableBufferPointer { PCM.convert(littleEndian: UnsafeRawBufferPointer(rebasing: raw[1...]), into: $0) }
        }
        let mismatches = samples.indices.filter { floats[$0] != Float(samples[$0]) / 32768 }
        #expect(mismatches.isEmpty, "first mismatching samples: \(mismatches.prefix(5).map { samples[$0] })")
        #expect(floats[samples.count].isNaN, "the odd trailing byte must not be read as a sample")
    }

    @Test func int16RoundTripsThroughFloat() {
        let samples = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) }
        var floats = [Float](repeating: 0, count: samples.count)
        var back = [Int16](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { input in floats.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        floats.withUnsafeBufferPointer { input in back.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        #expect(back == samples)
    }
}
