/// Noise floors by minimum statistics (after Martin, 2001, much simplified): the lowest level
/// of each feature over the last eight sub-windows. Speech has pauses between words, noise has
/// none, so the minimum over a second or two tracks the noise up and down without knowing
/// when speech is present. The four features sit in the lanes of one SIMD vector; fixed
/// storage, no allocation.
struct MinimumStatistics: Sendable {
    private static let windowCount = 8
    private let framesPerWindow: Int
    /// Each finished sub-window's minimum per feature.
    private var windows: InlineArray<8, SIMD4<Float>> = .init(repeating: SIMD4(repeating: .infinity))
    private var current = SIMD4<Float>(repeating: .infinity)
    private var framesInWindow = 0
    private var window = 0

    init(framesPerWindow: Int = 20) {
        self.framesPerWindow = framesPerWindow
    }

    mutating func observe(_ levels: SIMD4<Float>) {
        current = pointwiseMin(current, levels)
        framesInWindow += 1
        if framesInWindow == framesPerWindow {
            windows[window] = current
            current = SIMD4(repeating: .infinity)
            framesInWindow = 0
            window = (window + 1) % Self.windowCount
        }
    }

    /// The lowest level of each feature seen in the window (infinity before any frame).
    var floors: SIMD4<Float> {
        var lowest = current
        for index in 0..<Self.windowCount { lowest = pointwiseMin(lowest, windows[index]) }
        return lowest
    }
}
