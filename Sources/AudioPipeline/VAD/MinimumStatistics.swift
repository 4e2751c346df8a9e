/// Noise floors by minimum statistics (after Martin, 2001, much simplified): the lowest level
/// of each feature over the last eight sub-windows. Speech has pauses between words, noise has
/// none, so the minimum over a second or two tracks the noise up and down without knowing
/// when speech is present. The four features sit in the lanes of one SIMD vector; fixed
/// storage, no allocation.
///
/// Cost model: the finished sub-windows' minimum is kept and redone only when a sub-window
/// finishes, so a frame costs two lane-wise minimums, not nine.
struct MinimumStatistics: Sendable {
    private static let windowCount = 8
    private let framesPerWindow: Int
    /// Each finished sub-window's minimum per feature.
    private var windows: InlineArray<8, SIMD4<Float>> = .init(repeating: SIMD4(repeating: .infinity))
    /// The lowest of `windows`.
    private var finishedWindowsMinimum = SIMD4<Float>(repeating: .infinity)
    private var current = SIMD4<Float>(repeating: .infinity)
    private var framesInWindow = 0
    private var window = 0

    init(framesPerWindow: Int = 20) {
        self.framesPerWindow = framesPerWindow
    }

    mutating func observe(_ levels: SIMD4<Float>) {
        current = Self.lower(current, levels)
        framesInWindow += 1
        if framesInWindow == framesPerWindow {
            windows[window] = current
            current = SIMD4(repeating: .infinity)
            framesInWindow = 0
            window = (window + 1) % Self.windowCount
            finishedWindowsMinimum = windows[0]
            for index in 1..<Self.windowCount { finishedWindowsMinimum = Self.lower(finishedWindowsMinimum, windows[index]) }
        }
    }

    /// The lowest level of each feature seen in the window (infinity before any frame).
    var floors: SIMD4<Float> { Self.lower(current, finishedWindowsMinimum) }

    /// The lane-wise minimum as one compare and blend. The standard library's `pointwiseMin`
    /// orders NaNs lane by lane and was called out of line, a large share of the detector's
    /// time; levels here are never NaN (silence is -100 dB).
    @inline(__always)
    private static func lower(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        a.replacing(with: b, where: b .< a)
    }
}
