import Foundation
import SeededRandom

/// A seeded, synthetic packet trace: when (if ever) each 20 ms frame arrives.
struct NetworkTrace {
    let name: String
    /// Arrival time in ms for frame i (sent at 20 i ms), or nil when lost in the network.
    let arrivalsMs: [Double?]

    static let frameCount = 3000  // 60 s

    /// Constant 30 ms path, +-1 ms noise.
    static func steady(seed: UInt64) -> NetworkTrace {
        var random = SplitMix64(seed: seed)
        return NetworkTrace(name: "steady 20 ms", arrivalsMs: (0..<frameCount).map { 20 * Double($0) + 30 + random.uniform(-1, 1) })
    }

    /// 30 ms path plus Pareto-distributed queueing delay (heavy tail), capped at 500 ms.
    static func pareto(seed: UInt64, scaleMs: Double, name: String) -> NetworkTrace {
        var random = SplitMix64(seed: seed)
        return NetworkTrace(name: name, arrivalsMs: (0..<frameCount).map { index in
            let u = max(random.uniform(0, 1), 1e-9)
            let jitter = min(scaleMs * (pow(u, -1 / 2.5) - 1), 500)
            return 20 * Double(index) + 30 + jitter
        })
    }

    /// Gilbert-Elliott bursts: a good state losing 0.5% and a bad state losing 60%, with mild jitter.
    static func gilbertElliott(seed: UInt64) -> NetworkTrace {
        var random = SplitMix64(seed: seed)
        var bad = false
        return NetworkTrace(name: "Gilbert-Elliott loss", arrivalsMs: (0..<frameCount).map { index in
            bad = bad ? random.uniform(0, 1) > 0.3 : random.uniform(0, 1) < 0.02
            if random.uniform(0, 1) < (bad ? 0.6 : 0.005) { return nil }
            return 20 * Double(index) + 30 + random.uniform(0, 8)
        })
    }

    /// 5% of frames held back 25-45 ms, so they arrive after one or two later frames.
    static func reordering(seed: UInt64) -> NetworkTrace {
        var random = SplitMix64(seed: seed)
        return NetworkTrace(name: "reordering", arrivalsMs: (0..<frameCount).map { index in
            let extra = random.uniform(0, 1) < 0.05 ? random.uniform(25, 45) : random.uniform(0, 3)
            return 20 * Double(index) + 30 + extra
        })
    }
}
