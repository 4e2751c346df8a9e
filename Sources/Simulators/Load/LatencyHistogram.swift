/// Latencies from 1 us to ~67 s in log-linear buckets (16 per power of two, so a percentile is
/// within ~4.4 %); recording is a few integer operations and allocates nothing.
public struct LatencyHistogram: Sendable {
    private static let subBuckets = 16
    private var counts = [UInt64](repeating: 0, count: 26 * 16)
    public private(set) var count: UInt64 = 0
    public private(set) var maximumNs: UInt64 = 0

    public init() {}

    public mutating func record(ns: UInt64) {
        count += 1
        maximumNs = max(maximumNs, ns)
        counts[Self.bucket(ns / 1000)] += 1
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        maximumNs = max(maximumNs, other.maximumNs)
    }

    /// The latency below which `fraction` of the recorded ones fall, in microseconds (bucket upper edge).
    public func percentileMicroseconds(_ fraction: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += bucketCount
            if seen >= max(rank, 1) { return min(Self.upperEdge(index), Double(maximumNs) / 1000) }
        }
        return Double(maximumNs) / 1000
    }

    private static func bucket(_ microseconds: UInt64) -> Int {
        guard microseconds >= UInt64(subBuckets) else { return Int(microseconds) }
        let power = 63 - microseconds.leadingZeroBitCount          // >= 4
        let sub = Int((microseconds >> (power - 4)) & 15)
        return min((power - 3) * subBuckets + sub, 26 * 16 - 1)
    }

    private static func upperEdge(_ index: Int) -> Double {
        guard index >= subBuckets else { return Double(index + 1) }
        let power = index / subBuckets + 3
        let sub = index % subBuckets
        return Double((16 + sub + 1) << (power - 4))
    }
}
