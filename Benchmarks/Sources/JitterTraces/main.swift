import AudioPipeline
import Foundation

/// Replays seeded network traces through the adaptive jitter buffer and through fixed
/// 20/60/120 ms buffers, side by side, and checks the targets: on every trace the adaptive
/// buffer loses no more frames to lateness than the fixed 60 ms one, and on the low-jitter
/// traces it adds less delay.
/// Run: swift run -c release --package-path Benchmarks JitterTraces
struct Result {
    var meanAddedDelayMs: Double
    var lateLoss: Double
    var concealment: Double
}

func replay(_ trace: NetworkTrace, mode: JitterBuffer<UInt32>.Mode) -> Result {
    var buffer = JitterBuffer<UInt32>(mode: mode)
    let order = trace.arrivalsMs.enumerated().compactMap { index, arrival in arrival.map { (index, $0) } }
        .sorted { $0.1 < $1.1 }
    var released = [Double?](repeating: nil, count: trace.arrivalsMs.count)
    var next = 0
    let endMs = 20 * Double(trace.arrivalsMs.count) + 1000
    var nowMs = 0.0
    while nowMs < endMs {
        while next < order.count, order[next].1 <= nowMs {
            buffer.insert(UInt32(order[next].0), sequence: UInt32(order[next].0), arrivalNs: UInt64(order[next].1 * 1e6))
            next += 1
        }
        while let output = buffer.next(now: UInt64(nowMs * 1e6)) {
            if case .frame(_, let sequence) = output { released[Int(sequence)] = nowMs }
        }
        nowMs += 1
    }
    var delays: [Double] = []
    for (index, arrival) in trace.arrivalsMs.enumerated() {
        if let arrival, let playout = released[index] { delays.append(playout - arrival) }
    }
    let statistics = buffer.statistics
    return Result(meanAddedDelayMs: delays.reduce(0, +) / Double(max(delays.count, 1)),
                  lateLoss: statistics.lateLossRate, concealment: statistics.concealmentRate)
}

let traces: [(NetworkTrace, lowJitter: Bool)] = [
    (.steady(seed: 1), true),
    (.pareto(seed: 2, scaleMs: 4, name: "Pareto jitter (moderate)"), false),
    (.pareto(seed: 3, scaleMs: 25, name: "Pareto jitter (high)"), false),
    (.gilbertElliott(seed: 4), true),
    (.reordering(seed: 5), true),
]
let buffers: [(String, JitterBuffer<UInt32>.Mode)] = [
    ("adaptive", .adaptive(minimumDelay: .zero, maximumDelay: .milliseconds(300))),
    ("fixed 20 ms", .adaptive(minimumDelay: .milliseconds(20), maximumDelay: .milliseconds(20))),
    ("fixed 60 ms", .adaptive(minimumDelay: .milliseconds(60), maximumDelay: .milliseconds(60))),
    ("fixed 120 ms", .adaptive(minimumDelay: .milliseconds(120), maximumDelay: .milliseconds(120))),
]

print("| trace | buffer | mean added delay ms | late loss % | concealment % |")
print("|---|---|---|---|---|")
var failures: [String] = []
for (trace, lowJitter) in traces {
    var results: [String: Result] = [:]
    for (name, mode) in buffers {
        let result = replay(trace, mode: mode)
        results[name] = result
        print(String(format: "| %@ | %@ | %.1f | %.2f | %.2f |", trace.name, name, result.meanAddedDelayMs,
                     result.lateLoss * 100, result.concealment * 100))
    }
    let adaptive = results["adaptive"]!, fixed60 = results["fixed 60 ms"]!
    if adaptive.lateLoss > fixed60.lateLoss { failures.append("\(trace.name): more late loss than fixed 60 ms") }
    if lowJitter && adaptive.meanAddedDelayMs >= fixed60.meanAddedDelayMs {
        failures.append("\(trace.name): no lower delay than fixed 60 ms")
    }
}
if failures.isEmpty {
    print("targets met: adaptive late loss <= fixed 60 ms on every trace, lower delay on the low-jitter traces")
} else {
    print("targets missed:\n" + failures.joined(separator: "\n"))
    exit(1)
}
