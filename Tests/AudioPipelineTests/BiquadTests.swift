@testable import AudioPipeline
import Foundation
import Testing

@Suite struct BiquadTests {
    /// The textbook transposed direct form II, in double precision: what the substituted form must equal.
    struct Reference {
        let b0, b1, b2, a1, a2: Double
        var z1 = 0.0, z2 = 0.0
        mutating func process(_ x: Double) -> Double {
            let y = b0 * x + z1
            z1 = b1 * x - a1 * y + z2
            z2 = b2 * x - a2 * y
            return y
        }
    }

    static func noise(count: Int) -> [Float] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Float(Int64(bitPattern: state) % 30_000) / 32_768
        }
    }

    @Test(arguments: [8000.0, 24000.0])
    func theSubstitutedFormIsTheSameFilter(rate: Double) {
        let designs = [Biquad.highpass(cornerHz: 150, sampleRate: rate), Biquad.bandpass(lowHz: 200, highHz: 1000, sampleRate: rate),
                       Biquad.bandpass(lowHz: 2500, highHz: 3800, sampleRate: rate)]
        let input = Self.noise(count: 4000)
        var bank = BiquadBank(designs)
        for (lane, design) in designs.enumerated() {
            var section = design
            var reference = Reference(b0: Double(design.b0), b1: Double(design.b1), b2: Double(design.b2),
                                      a1: Double(design.a1), a2: Double(design.a2))
            var worst = 0.0
            for x in input {
                worst = max(worst, abs(Double(section.process(x)) - reference.process(Double(x))))
            }
            // Single-precision rounding only: a wrong coefficient or state update is off by far more.
            #expect(worst < 1e-5, "lane \(lane) at \(rate) Hz: \(worst)")
        }
        var lanes = designs
        for x in input {
            let together = bank.process(x)
            for lane in lanes.indices { #expect(together[lane] == lanes[lane].process(x)) }
        }
    }
}
