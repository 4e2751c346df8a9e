@testable import AudioPipeline
import Testing

@Suite struct LevelWindowTests {
    /// The quantile as sorting would find it, at the window's 0.5 dB bins.
    static func sortedQuantile(_ levels: [Float], _ fraction: Float) -> Float {
        let sorted = levels.sorted()
        let wanted = max(1, Int((fraction * Float(sorted.count)).rounded(.up)))
        let level = sorted[wanted - 1]
        return -110 + ((level + 110) * 2).rounded(.down) / 2 + 0.25
    }

    @Test func everyQuantileMatchesSortingFromEitherEnd() {
        var window = LevelWindow(capacity: 300)
        var state: UInt64 = 7
        var all: [Float] = []
        for _ in 0..<1000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let level = -90 + Float(state >> 40 % 80_000) / 1000
            window.add(level)
            all.append(level)
        }
        let recent = Array(all.suffix(300))
        #expect(window.count == 300)
        for fraction: Float in [0.01, 0.1, 0.2, 0.5, 0.51, 0.9, 0.95, 0.99, 1] {
            #expect(window.quantile(fraction) == Self.sortedQuantile(recent, fraction), "at \(fraction)")
        }
    }

    @Test func anEmptyWindowHasNoQuantile() {
        #expect(LevelWindow(capacity: 10).quantile(0.95) == nil)
    }
}
