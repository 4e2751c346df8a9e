import Codecs
import Foundation
import Testing

/// Bit-exactness against the G.191 vectors in `Tests/Fixtures/vectors/g711`: every 16-bit input, every code.
@Suite struct G711ConformanceTests {
    static let allSamples: [Int16] = (0..<65536).map { Int16(truncatingIfNeeded: $0 - 32768) }

    @Test func muLawEncodesAllInputsLikeG191() throws {
        let expected = [UInt8](try VectorFiles.data("g711/ulaw_encode.bin"))
        #expect(expected.count == 65536)
        var codes = [UInt8](repeating: 0, count: 65536)
        Self.allSamples.withUnsafeBufferPointer { samples in
            codes.withUnsafeMutableBufferPointer { MuLaw.encode(samples, into: $0) }
        }
        let mismatches = (0..<65536).filter { codes[$0] != expected[$0] }
        #expect(mismatches.isEmpty, "first mismatching inputs: \(mismatches.prefix(5).map { $0 - 32768 })")
    }

    @Test func aLawEncodesAllInputsLikeG191() throws {
        let expected = [UInt8](try VectorFiles.data("g711/alaw_encode.bin"))
        var codes = [UInt8](repeating: 0, count: 65536)
        Self.allSamples.withUnsafeBufferPointer { samples in
            codes.withUnsafeMutableBufferPointer { ALaw.encode(samples, into: $0) }
        }
        let mismatches = (0..<65536).filter { codes[$0] != expected[$0] }
        #expect(mismatches.isEmpty, "first mismatching inputs: \(mismatches.prefix(5).map { $0 - 32768 })")
    }

    @Test func muLawDecodesAllCodes() throws {
        let expected = try VectorFiles.integers("g711/ulaw_decode.txt")
        let codes = [UInt8]((0...255).map { UInt8($0) })
        var samples = [Int16](repeating: 0, count: 256)
        codes.withUnsafeBufferPointer { codes in
            samples.withUnsafeMutableBufferPointer { MuLaw.decode(codes, into: $0) }
        }
        #expect(samples.map(Int.init) == expected)

        var floats = [Float](repeating: 0, count: 256)
        codes.withUnsafeBufferPointer { codes in
            floats.withUnsafeMutableBufferPointer { MuLaw.decode(codes, into: $0) }
        }
        #expect(floats.map { Int($0 * 32768) } == expected)
    }

    @Test func aLawDecodesAllCodes() throws {
        let expected = try VectorFiles.integers("g711/alaw_decode.txt")
        let codes = [UInt8]((0...255).map { UInt8($0) })
        var samples = [Int16](repeating: 0, count: 256)
        codes.withUnsafeBufferPointer { codes in
            samples.withUnsafeMutableBufferPointer { ALaw.decode(codes, into: $0) }
        }
        #expect(samples.map(Int.init) == expected)
    }

    @Test func floatEncodeMatchesInt16EncodeAndClamps() {
        let floats: [Float] = [0, 0.5, -0.5, 1.5, -1.5, .nan, 32767 / 32768, -1]
        let ints: [Int16] = [0, 16384, -16384, 32767, -32768, 0, 32767, -32768]
        var fromFloats = [UInt8](repeating: 0, count: floats.count)
        var fromInts = [UInt8](repeating: 0, count: ints.count)
        floats.withUnsafeBufferPointer { input in fromFloats.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        ints.withUnsafeBufferPointer { input in fromInts.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        #expect(fromFloats == fromInts)
    }

    /// The float encoder runs eight lanes at a time (and the rest one by one): every 16-bit input
    /// as a float must give G.191's code, in a buffer whose length leaves a tail.
    @Test func floatEncodeOfEveryInputMatchesG191() throws {
        let expected = [UInt8](try VectorFiles.data("g711/ulaw_encode.bin"))
        let floats = Self.allSamples.dropFirst(3).map { Float($0) / 32768 }
        var codes = [UInt8](repeating: 0, count: floats.count)
        floats.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        let mismatches = floats.indices.filter { codes[$0] != expected[$0 + 3] }
        #expect(mismatches.isEmpty, "first mismatching inputs: \(mismatches.prefix(5).map { floats[$0] * 32768 })")
    }

    /// Between integer steps the float encoder rounds half away from zero and clamps, like PCM.
    @Test func floatEncodeRoundsAndClampsLikePCM() {
        let floats = PCMTests.awkwardFloats
        var fromFloats = [UInt8](repeating: 0, count: floats.count)
        var fromInts = [UInt8](repeating: 0, count: floats.count)
        let ints = floats.map(PCMTests.referenceInt16)
        floats.withUnsafeBufferPointer { input in fromFloats.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        ints.withUnsafeBufferPointer { input in fromInts.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        let mismatches = floats.indices.filter { fromFloats[$0] != fromInts[$0] }
        #expect(mismatches.isEmpty, "first mismatching inputs: \(mismatches.prefix(5).map { floats[$0] })")
    }
}
