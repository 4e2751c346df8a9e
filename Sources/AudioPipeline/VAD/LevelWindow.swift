/// The last `capacity` levels (dB) and their quantiles: a ring of 0.5 dB bins and their
/// histogram, so adding a level and reading a quantile cost a walk over the occupied bins at
/// most, whatever the window's length. Histogram and ring share one allocation, made at `init`:
/// a detector's state is read out of cache on every frame of a busy relay, and each separate
/// array is one more line to fetch.
struct LevelWindow: Sendable {
    /// Bins of 0.5 dB from -110 dB (digital silence is -100) up to +18 dB.
    private static let lowestDB: Float = -110
    private static let binsPerDB: Float = 2
    private static let binCount = 256

    /// The histogram (`binCount` counts), then the ring of the levels' bins.
    private var storage: [UInt16]
    private let capacity: Int
    private var next = 0
    private(set) var count = 0
    /// The lowest and highest occupied bins, where quantile walks start.
    private var lowestBin = Int.max
    private var highestBin = Int.min

    init(capacity: Int) {
        precondition(capacity > 0 && capacity < Int(UInt16.max))
        self.capacity = capacity
        storage = [UInt16](repeating: 0, count: Self.binCount + capacity)
    }

    mutating func add(_ levelDB: Float) {
        let bin = Int(UInt8(clamping: Int(((levelDB - Self.lowestDB) * Self.binsPerDB).rounded(.down))))
        if count == capacity { remove(Int(storage[Self.binCount + next])) }
        count += 1
        storage[Self.binCount + next] = UInt16(bin)
        storage[bin] += 1
        lowestBin = min(lowestBin, bin)
        highestBin = max(highestBin, bin)
        next = next + 1 == capacity ? 0 : next + 1
    }

    private mutating func remove(_ bin: Int) {
        storage[bin] -= 1
        count -= 1
        guard storage[bin] == 0 else { return }
        if count == 0 {
            (lowestBin, highestBin) = (Int.max, Int.min)
            return
        }
        while storage[lowestBin] == 0 { lowestBin += 1 }
        while storage[highestBin] == 0 { highestBin -= 1 }
    }

    /// The level below which `fraction` of the window lies (a bin's centre); nil when empty.
    /// High quantiles are counted down from the top, so either end costs a short walk.
    func quantile(_ fraction: Float) -> Float? {
        guard count > 0 else { return nil }
        let wanted = max(1, Int((fraction * Float(count)).rounded(.up)))
        if fraction > 0.5 {
            var below = count
            for bin in stride(from: highestBin, through: lowestBin, by: -1) {
                below -= Int(storage[bin])
                if below < wanted { return Self.level(ofBin: bin) }
            }
            return nil
        }
        var seen = 0
        for bin in lowestBin...highestBin {
            seen += Int(storage[bin])
            if seen >= wanted { return Self.level(ofBin: bin) }
        }
        return nil
    }

    private static func level(ofBin bin: Int) -> Float {
        lowestDB + (Float(bin) + 0.5) / binsPerDB
    }
}
