/// The last `capacity` levels (dB) and their quantiles: a ring of 0.5 dB bins and their
/// histogram, so adding a level and reading a quantile cost a few hundred additions at most,
/// whatever the window's length. Storage is allocated once, at `init`.
struct LevelWindow: Sendable {
    /// Bins of 0.5 dB from -110 dB (digital silence is -100) up to +18 dB.
    private static let lowestDB: Float = -110
    private static let binsPerDB: Float = 2
    private static let binCount = 256

    private var ring: [UInt8]
    private var histogram: [UInt16]
    private var next = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0 && capacity < Int(UInt16.max))
        ring = [UInt8](repeating: 0, count: capacity)
        histogram = [UInt16](repeating: 0, count: Self.binCount)
    }

    mutating func add(_ levelDB: Float) {
        let bin = UInt8(clamping: Int(((levelDB - Self.lowestDB) * Self.binsPerDB).rounded(.down)))
        if count == ring.count { histogram[Int(ring[next])] -= 1 } else { count += 1 }
        ring[next] = bin
        histogram[Int(bin)] += 1
        next = next + 1 == ring.count ? 0 : next + 1
    }

    /// The level below which `fraction` of the window lies (a bin's centre); nil when empty.
    func quantile(_ fraction: Float) -> Float? {
        guard count > 0 else { return nil }
        let wanted = max(1, Int((fraction * Float(count)).rounded(.up)))
        var seen = 0
        for bin in 0..<Self.binCount {
            seen += Int(histogram[bin])
            if seen >= wanted { return Self.lowestDB + (Float(bin) + 0.5) / Self.binsPerDB }
        }
        return nil
    }
}
