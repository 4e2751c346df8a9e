import Foundation

/// Monotonic nanoseconds, the time base of the pipeline's plain structs.
public enum MonotonicClock {
    public static func nowNs() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Blocks the calling thread until ``nowNs()`` reaches `deadlineNs`. An absolute deadline
    /// does not drift with the time spent between sleeps, and one `clock_nanosleep` is one
    /// wake-up (a `Task.sleep` goes through the dispatch timer thread and a pool thread).
    public static func sleep(untilNs deadlineNs: UInt64) {
        var wake = timespec(tv_sec: Int(deadlineNs / 1_000_000_000), tv_nsec: Int(deadlineNs % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nil) == EINTR {}
    }
}
