/// `Duration` in the plain units the pipeline's clock arithmetic and settings use. The standard
/// library gives a duration only as seconds plus attoseconds; these are the conversions the
/// jitter buffer, pacer, VAD and media streams need, written once.
extension Duration {
    /// Whole nanoseconds, for ``MonotonicClock``'s `UInt64` arithmetic; a negative duration is 0.
    public var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    /// Whole milliseconds, truncated toward zero.
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Milliseconds with their fraction.
    public var fractionalMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
