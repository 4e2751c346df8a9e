import AudioPipeline
import SeededRandom
import Testing

@Suite struct JitterBufferTests {
    typealias Buffer = JitterBuffer<UInt32>
    static let frameNs: UInt64 = 20_000_000

    static func describe(_ outputs: [Buffer.Output]) -> [String] {
        outputs.map {
            switch $0 {
            case .frame(let value, let sequence): "f\(sequence):\(value)"
            case .conceal(let sequence): "c\(sequence)"
            }
        }
    }

    @Test func forwardImmediatelyReleasesAtOnceAndConcealsGaps() {
        var buffer = Buffer(mode: .forwardImmediately)
        var outputs: [Buffer.Output] = []
        for sequence: UInt32 in [10, 11, 14, 15] {
            buffer.insert(sequence * 100, sequence: sequence, arrivalNs: UInt64(sequence) * Self.frameNs)
            while let output = buffer.next(now: 0) { outputs.append(output) }
        }
        #expect(Self.describe(outputs) == ["f10:1000", "f11:1100", "c12", "c13", "f14:1400", "f15:1500"])
        // A straggler for a concealed slot, and a repeat, change nothing.
        buffer.insert(1200, sequence: 12, arrivalNs: 0)
        buffer.insert(1500, sequence: 15, arrivalNs: 0)
        while let output = buffer.next(now: 0) { outputs.append(output) }
        #expect(outputs.count == 6)
        #expect(buffer.statistics.concealed == 2)
        #expect(buffer.statistics.late == 2)
        #expect(buffer.statistics.released == 4)
    }

    /// Reorder mode: in-order frames go at once (on arrival, the shortcut), a swapped pair comes
    /// out in order, and a missing frame is waited for until three later ones are here, then
    /// concealed; its straggler is then late. Time plays no part.
    @Test func reorderModeWaitsForAMissingFrameOnlyAsLongAsItsDepth() {
        var buffer = Buffer(mode: .reorder(depth: 3))
        var outputs: [Buffer.Output] = []
        for sequence: UInt32 in [1, 2, 4, 3, 5, 7, 8, 9, 10, 6] {
            if buffer.releasesOnArrival(sequence: sequence) {
                outputs.append(.frame(sequence * 100, sequence: sequence))
                continue
            }
            buffer.insert(sequence * 100, sequence: sequence, arrivalNs: 0)
            while let output = buffer.next(now: 0) { outputs.append(output) }
        }
        #expect(Self.describe(outputs) == ["f1:100", "f2:200", "f3:300", "f4:400", "f5:500", "c6", "f7:700", "f8:800", "f9:900", "f10:1000"])
        #expect(buffer.statistics.concealed == 1 && buffer.statistics.late == 1 && buffer.statistics.reordered >= 1)
    }

    /// The on-arrival shortcut takes exactly the frames `insert` + `next` would release at once,
    /// and leaves the buffer as they would: gaps, stragglers and repeats still go the long way.
    @Test func releasingOnArrivalMatchesInsertThenNext() {
        let arrivals: [UInt32] = [7, 8, 9, 12, 13, 13, 10, 14, 30, 31, 29, 32, 5_000, 5_001]
        var shortcut = Buffer(mode: .forwardImmediately)
        var plain = Buffer(mode: .forwardImmediately)
        var viaShortcut: [Buffer.Output] = [], viaPlain: [Buffer.Output] = []
        var taken = 0
        for sequence in arrivals {
            if shortcut.releasesOnArrival(sequence: sequence) {
                viaShortcut.append(.frame(sequence * 10, sequence: sequence))
                taken += 1
            } else {
                shortcut.insert(sequence * 10, sequence: sequence, arrivalNs: 0)
                while let output = shortcut.next(now: 0) { viaShortcut.append(output) }
            }
            plain.insert(sequence * 10, sequence: sequence, arrivalNs: 0)
            while let output = plain.next(now: 0) { viaPlain.append(output) }
        }
        #expect(Self.describe(viaShortcut) == Self.describe(viaPlain))
        #expect(shortcut.statistics == plain.statistics)
        // The stream's first frame and those in order after each run's first: 7, 8, 9, 13 (after
        // the concealed 10, 11), 14, 31, 32, 5_001.
        #expect(taken == 8)
        var adaptive = Buffer(mode: .adaptive(minimumDelay: .zero, maximumDelay: .milliseconds(200)))
        adaptive.insert(0, sequence: 1, arrivalNs: 0)
        _ = adaptive.next(now: .max)
        let adaptiveShortcut = adaptive.releasesOnArrival(sequence: 2)
        #expect(!adaptiveShortcut, "an adaptive buffer holds every frame to its playout time")
    }

    /// Forward by a million, and forward by over 2^31 (which reads as "far behind" in serial
    /// arithmetic): both restart from the new number; neither conceals nor drops what follows.
    @Test(arguments: [UInt32(1_000_000), 4_000_000_000])
    func anAbsurdJumpResynchronisesInsteadOfConcealingForever(jump: UInt32) {
        var buffer = Buffer(mode: .forwardImmediately)
        var outputs: [Buffer.Output] = []
        for (value, sequence) in [(UInt32(1), UInt32(1)), (2, jump), (3, jump + 1)] {
            buffer.insert(value, sequence: sequence, arrivalNs: 0)
            while let output = buffer.next(now: 0) { outputs.append(output) }
        }
        #expect(Self.describe(outputs) == ["f1:1", "f\(jump):2", "f\(jump + 1):3"])
        #expect(buffer.statistics.resyncs == 1)
    }

    @Test func sequenceNumbersWrapAround() {
        var buffer = Buffer(mode: .forwardImmediately)
        var outputs: [Buffer.Output] = []
        for sequence in [UInt32.max - 1, UInt32.max, 0, 1] {
            buffer.insert(sequence, sequence: sequence, arrivalNs: 0)
            while let output = buffer.next(now: 0) { outputs.append(output) }
        }
        #expect(outputs.count == 4)
        #expect(buffer.statistics.concealed == 0)
    }

    @Test func adaptiveModeReordersAndConcealsTheLost() {
        var buffer = Buffer(mode: .adaptive(minimumDelay: .milliseconds(40), maximumDelay: .milliseconds(200)))
        var outputs: [Buffer.Output] = []
        // Sent every 20 ms; 2 and 3 swap, 5 is lost, 4 arrives twice.
        let arrivals: [(UInt32, UInt64)] = [(0, 0), (1, 20), (3, 45), (2, 50), (4, 80), (4, 81), (6, 120), (7, 140), (8, 160)]
        var now: UInt64 = 0
        var index = 0
        while now <= 300 {
            while index < arrivals.count, arrivals[index].1 <= now {
                buffer.insert(arrivals[index].0, sequence: arrivals[index].0, arrivalNs: arrivals[index].1 * 1_000_000)
                index += 1
            }
            while let output = buffer.next(now: now * 1_000_000) { outputs.append(output) }
            now += 1
        }
        #expect(Self.describe(outputs) == ["f0:0", "f1:1", "f2:2", "f3:3", "f4:4", "c5", "f6:6", "f7:7", "f8:8"])
        #expect(buffer.statistics.duplicates == 1)
        #expect(buffer.statistics.reordered == 1)
        #expect(buffer.statistics.late == 0)
    }

    @Test func adaptiveTargetGrowsWithJitterAndShrinksWhenItCalms() {
        var buffer = Buffer(mode: .adaptive(minimumDelay: .zero, maximumDelay: .milliseconds(300)))
        var generator = SplitMix64(seed: 7)
        var now: UInt64 = 0
        var sequence: UInt32 = 0
        var pending: [(UInt32, UInt64)] = []
        var targets: [Int] = []
        // 10 s of heavy jitter (0-100 ms), then 80 s of none.
        while now < 90_000 {
            if now % 20 == 0 {
                let jitter: UInt64 = now < 10_000 ? generator.next() % 100 : 0
                pending.append((sequence, now + 30 + jitter))
                sequence += 1
            }
            pending.removeAll { item in
                guard item.1 <= now else { return false }
                buffer.insert(item.0, sequence: item.0, arrivalNs: item.1 * 1_000_000)
                return true
            }
            while buffer.next(now: now * 1_000_000) != nil {}
            if now % 1000 == 0 { targets.append(buffer.statistics.targetDelayMs) }
            now += 1
        }
        #expect(targets[9] >= 80, "\(targets)")
        #expect(targets.last! <= 40, "\(targets)")
        #expect(buffer.statistics.lateLossRate < 0.05)
    }
}
