@testable import AudioPipeline
import Foundation
import Testing

@Suite struct PeriodicityMeterTests {
    /// The score straight from its definition, in double precision: the peak over lags 5-25 of
    /// the last 40 samples' correlation with their lagged copy, over both energies.
    static func reference(_ history: [Float]) -> Float {
        let window = Array(history.suffix(40)).map(Double.init)
        let start = history.count - 40
        let energy = window.reduce(0) { $0 + $1 * $1 }
        guard energy > 0 else { return 0 }
        var best = 0.0
        for lag in 5...25 {
            let lagged = (0..<40).map { start + $0 - lag >= 0 ? Double(history[start + $0 - lag]) : 0 }
            let cross = zip(window, lagged).reduce(0) { $0 + $1.0 * $1.1 }
            let laggedEnergy = lagged.reduce(0) { $0 + $1 * $1 }
            if cross > 0, laggedEnergy > 0 { best = max(best, cross / (energy * laggedEnergy).squareRoot()) }
        }
        return Float(best)
    }

    /// With 10 ms frames each window reuses the previous window's second half; with 20 ms frames
    /// nothing is reused. Either way every score is the one computed from scratch, through
    /// silence (where nothing is carried over wrongly) and back.
    @Test(arguments: [20, 40])
    func everyScoreIsTheWindowsOwn(keptPerFrame: Int) {
        var meter = PeriodicityMeter(sampleRate: 8000)
        var state: UInt64 = 7
        // The meter starts from zeros.
        var history = [Float](repeating: 0, count: 72)
        for frame in 0..<60 {
            for _ in 0..<keptPerFrame {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
                let n = Double(history.count)
                // Voiced (a 160 Hz pitch at 2 kHz) for a while, then noise, then digital silence.
                let sample: Float = switch frame {
                case 0..<20: Float(sin(2 * .pi * 160 * n / 2000)) + 0.2 * noise
                case 20..<40: noise
                default: frame < 50 ? 0 : noise
                }
                history.append(sample)
                meter.append(sample)
            }
            let score = meter.measure()
            #expect(abs(score - Self.reference(history)) < 1e-4, "frame \(frame): \(score) vs \(Self.reference(history))")
        }
    }
}
