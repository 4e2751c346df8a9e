/// Noise floors by minimum statistics (after Martin, 2001, much simplified): the lowest level
/// of each feature over the last eight sub-windows. Speech has pauses between words, noise has
/// none, so the minimum over a second or two tracks the noise up and down without knowing
/// when speech is present. Fixed storage, no allocation.
struct MinimumStatistics: Sendable {
    private static let windowCount = 8
    private let framesPerWindow: Int
    /// Each finished sub-window's minimum, `windowCount` x `VoiceActivityDetector.featureCount`.
    private var windows: InlineArray<32, Float> = .init(repeating: .infinity)
    private var current: InlineArray<4, Float> = .init(repeating: .infinity)
    private var framesInWindow = 0
    private var window = 0

    init(framesPerWindow: Int = 20) {
        self.framesPerWindow = framesPerWindow
    }

    mutating func observe(_ levels: InlineArray<4, Float>) {
        for feature in 0..<4 { current[feature] = min(current[feature], levels[feature]) }
        framesInWindow += 1
        if framesInWindow == framesPerWindow {
            for feature in 0..<4 { windows[window * 4 + feature] = current[feature] }
            current = .init(repeating: .infinity)
            framesInWindow = 0
            window = (window + 1) % Self.windowCount
        }
    }

    /// The lowest level of `feature` seen in the window (infinity before any frame).
    func floor(_ feature: Int) -> Float {
        var lowest = current[feature]
        for index in 0..<Self.windowCount { lowest = min(lowest, windows[index * 4 + feature]) }
        return lowest
    }
}
