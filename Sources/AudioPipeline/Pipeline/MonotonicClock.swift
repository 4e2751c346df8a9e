import Foundation

/// Monotonic nanoseconds, the time base of the pipeline's plain structs.
public enum MonotonicClock {
    public static func nowNs() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
