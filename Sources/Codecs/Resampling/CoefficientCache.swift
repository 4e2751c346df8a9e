import Synchronization

/// Polyphase coefficients by ratio and quality, designed once: every call's resamplers read the
/// same immutable arrays instead of each holding its own copy (1.4 KB a call at telephony quality).
final class CoefficientCache: Sendable {
    struct Key: Hashable {
        let up: Int
        let down: Int
        let passbandEdge: Double
        let stopbandEdge: Double
        let attenuationDB: Double

        init(up: Int, down: Int, quality: Resampler.Quality) {
            self.up = up
            self.down = down
            self.passbandEdge = quality.passbandEdge
            self.stopbandEdge = quality.stopbandEdge
            self.attenuationDB = quality.attenuationDB
        }
    }

    static let shared = CoefficientCache()

    private let designs = Mutex<[Key: [Float]]>([:])

    /// The coefficients for `key`, from `design` the first time.
    func coefficients(for key: Key, design: () -> [Float]) -> [Float] {
        if let known = designs.withLock({ $0[key] }) { return known }
        let designed = design()
        return designs.withLock { designs in
            if let raced = designs[key] { return raced }
            designs[key] = designed
            return designed
        }
    }
}
