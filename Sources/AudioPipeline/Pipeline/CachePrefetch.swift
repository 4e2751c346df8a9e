import CCachePrefetch

/// Asks for a per-call structure's cache lines all at once when its frame begins.
///
/// With a thousand calls no call's state stays in cache from one 20 ms frame to the next, and
/// the inbound path's ~2 KB is read in no order a hardware prefetcher follows (jitter buffer,
/// decoder, VAD filters, periodicity, noise floors, CUSUMs), so its misses came one after
/// another. Issued together up front they overlap, and a call's inbound frame is measurably
/// cheaper at 1,000 calls (docs/performance-log.md). The outbound side's objects are not
/// prefetched: their misses lie along a chain of references, each known only once the last has
/// arrived, and prefetching them was measured no faster.
enum CachePrefetch {
    @inline(__always)
    static func forWriting<Value: ~Copyable>(_ value: inout Value) {
        withUnsafeMutablePointer(to: &value) { voicerelay_prefetch_for_write($0, MemoryLayout<Value>.size) }
    }
}
