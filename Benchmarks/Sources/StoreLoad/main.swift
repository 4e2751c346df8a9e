import CallRecords
import Foundation
import Logging

/// Sustained call-record writes for N concurrent calls, as a relay under load produces them:
/// each call writes its start, then a turn (and now and then an event) every few seconds, and
/// its end. Reports the records per second the writer kept up with, the deepest its queue got,
/// how long records waited, and the process CPU. Real time, bounded by --seconds.
/// Run: swift run -c release --package-path Benchmarks StoreLoad [calls] [seconds] [turn-seconds] [sqlite|postgres]
/// (postgres reads DATABASE_URL).
let arguments = CommandLine.arguments
let calls = arguments.count > 1 ? Int(arguments[1])! : 1000
let seconds = arguments.count > 2 ? Double(arguments[2])! : 30
let turnSeconds = arguments.count > 3 ? Double(arguments[3])! : 3
let backend = arguments.count > 4 ? arguments[4] : "sqlite"

var logger = Logger(label: "store-load")
logger.logLevel = .warning
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-load-\(UUID().uuidString)").path
defer { try? FileManager.default.removeItem(atPath: directory) }
let location = CallStoreLocation(databaseURL: backend == "postgres" ? ProcessInfo.processInfo.environment["DATABASE_URL"] : nil,
                                 dataDirectory: directory)
if backend == "postgres", location.databaseURL == nil { fatalError("postgres needs DATABASE_URL") }
let store = try location.open(logger: logger)
try await store.migrate()
let writer = RecordWriter(store: store, outbox: try Outbox(directory: directory), logger: logger)
let writing = Task { try await writer.run() }

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let run = UUID().uuidString.prefix(6)
let cpuStart = cpuSeconds()
let start = ContinuousClock.now
let wallStart = Date()
// One driver steps through time in 10 ms ticks; each call acts when its next turn is due.
var nextTurn = (0..<calls).map { index in Double(index) / Double(calls) * turnSeconds }
var turnIndex = [Int](repeating: 0, count: calls)
var maximumDepth = 0
var depthSamples: [Int] = []
for index in 0..<calls {
    writer.submit(.call(CallRecord(callSid: "CA\(run)\(index)", streamSid: "MZ\(index)", tenant: "+1555", caller: "", region: "iad",
                                   provider: "local", endpoint: "in-process", startedAt: wallStart)))
}
var tick = 0
while true {
    tick += 1
    let now = Double(tick) * 0.01
    if now >= seconds { break }
    try await Task.sleep(until: start + .milliseconds(tick * 10), clock: .continuous)
    for index in 0..<calls where nextTurn[index] <= now {
        let sid = "CA\(run)\(index)"
        let at = wallStart.addingTimeInterval(now)
        writer.submit(.turn(TurnRecord(callSid: sid, index: turnIndex[index], speaker: turnIndex[index] % 2 == 0 ? .caller : .agent,
                                       startedAt: at.addingTimeInterval(-turnSeconds / 2), endedAt: at,
                                       transcript: "a sentence of about the length people say on the phone, twice over")))
        if turnIndex[index] % 4 == 3 {
            writer.submit(.event(CallEvent(callSid: sid, sequence: turnIndex[index] / 4, at: at, kind: "barge-in", detail: "heard 1200 ms")))
        }
        turnIndex[index] += 1
        nextTurn[index] += turnSeconds
    }
    let depth = writer.statistics.queueDepth
    maximumDepth = max(maximumDepth, depth)
    if tick % 10 == 0 { depthSamples.append(depth) }
}
for index in 0..<calls {
    writer.submit(.call(CallRecord(callSid: "CA\(run)\(index)", streamSid: "MZ\(index)", tenant: "+1555", caller: "", region: "iad",
                                   provider: "local", endpoint: "in-process", startedAt: wallStart, endedAt: Date(), endReason: "twilio stop")))
}
while writer.statistics.queueDepth > 0 { try await Task.sleep(for: .milliseconds(50)) }
_ = await writer.flush()
let elapsed = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
let cpu = cpuSeconds() - cpuStart
writing.cancel()
let statistics = writer.statistics
let sortedDepth = depthSamples.sorted()
print("""
store \(store.name): \(calls) calls, a turn every \(turnSeconds) s each, \(String(format: "%.1f", elapsed)) s
records submitted \(statistics.submitted) (\(String(format: "%.0f", Double(statistics.submitted) / elapsed))/s), written \(statistics.written), \
outboxed \(statistics.outboxed), failures \(statistics.failures)
writer queue depth: max \(maximumDepth), p50 \(sortedDepth[sortedDepth.count / 2]), p99 \(sortedDepth[sortedDepth.count * 99 / 100]) (sampled every 100 ms)
process CPU \(String(format: "%.2f", cpu)) s = \(String(format: "%.1f", cpu / elapsed * 1000)) ms per second, \
\(String(format: "%.1f", cpu / Double(statistics.submitted) * 1e6)) us per record
""")
await store.close()
