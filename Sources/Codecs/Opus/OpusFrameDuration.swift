/// The frame durations libopus accepts for a single frame, in milliseconds.
public enum OpusFrameDuration: Int, Sendable, CaseIterable {
    case ms10 = 10
    case ms20 = 20
    case ms40 = 40
    case ms60 = 60

    /// Samples per channel in one frame at `sampleRate`.
    public func samples(atSampleRate sampleRate: Int) -> Int { sampleRate / 1000 * rawValue }
}

/// Opus's internal sample rates; every Opus stream can be decoded at any of them.
public enum OpusSampleRate {
    public static let supported: Set<Int> = [8000, 12000, 16000, 24000, 48000]
    /// The largest packet duration Opus allows is 120 ms.
    public static func maximumFrameSamples(atSampleRate sampleRate: Int) -> Int { sampleRate / 1000 * 120 }
}
