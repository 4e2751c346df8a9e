import AudioPipeline
import Atomics
import Codecs
import Foundation

/// Runs N call pipelines at once, with no network, in real time: every 20 ms each call gets one
/// 20 ms caller frame and 20 ms of model audio, exactly as a relayed call would. Reports whether
/// all of it kept up, and the CPU the process spent per call-second (getrusage), which with the
/// machine's cores gives the headroom over real time.
/// The caller-side DSP runs on the delivering thread, as it does on the network event loop, so
/// the driver's CPU is part of the pipelines' cost and is counted.
/// With `timed`, the driver also brackets each call's delivery and model audio with the clock
/// and reports their mean per call and 20 ms: less noisy than the process's CPU for comparing
/// changes side by side (it adds two clock reads per call to what the CPU figure counts).
/// Run: swift run -c release --package-path Benchmarks PipelineLoad [calls] [seconds] [pcm16|mulaw] [timed]
/// (an `inline` before `timed`, which binaries from before the task drive was removed require, is ignored).
let arguments = CommandLine.arguments
let calls = arguments.count > 1 ? Int(arguments[1])! : 1000
let seconds = arguments.count > 2 ? Int(arguments[2])! : 10
let format: ModelAudioFormat = arguments.count > 3 && arguments[3] == "mulaw" ? .muLaw : .pcm16(sampleRate: 24000)
let timed = arguments.dropFirst(4).contains("timed")

final class CountingModelSink: ModelAudioSink {
    let bytes = ManagedAtomic<Int>(0)
    func sendToModel(_ audio: UnsafeRawBufferPointer) { bytes.wrappingIncrement(by: audio.count, ordering: .relaxed) }
}

final class CountingCallerSink: CallerAudioSink {
    let frames = ManagedAtomic<Int>(0)
    func sendToCaller(_ frame: OutboundFrame, audio: UnsafeRawBufferPointer, mark: Bool) { frames.wrappingIncrement(ordering: .relaxed) }
}

/// CPU seconds of the whole process, or of the calling thread only.
func cpuSeconds(thread: Bool = false) -> Double {
    var usage = rusage()
    getrusage(thread ? 1 /* RUSAGE_THREAD */ : RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func residentKB() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
    return (Int(statm.split(separator: " ")[1]) ?? 0) * 4
}

// 20 ms of caller speech-ish audio as mu-law, and 20 ms of model audio in the model's format.
let callerFrame: G711Frame = {
    var payload = InlineArray<160, UInt8>(repeating: 0xFF)
    for index in 0..<160 {
        let sample = Int16(6000 * sin(Double(index) * 2 * .pi * 440 / 8000))
        var code: UInt8 = 0
        withUnsafePointer(to: sample) { input in
            withUnsafeMutablePointer(to: &code) { MuLaw.encode(UnsafeBufferPointer(start: input, count: 1), into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
        }
        payload[index] = code
    }
    return G711Frame(sequence: 0, payload: payload)
}()
let modelChunk: [UInt8] = (0..<format.bytesPerFrame).map { UInt8(truncatingIfNeeded: $0 &* 37) }

let residentBefore = residentKB()
let modelSink = CountingModelSink(), callerSink = CountingCallerSink()
var pipelines: [CallPipeline<MuLawDecoder>] = []
var producers: [ModelAudioProducer] = []
for _ in 0..<calls {
    let pipeline = CallPipeline<MuLawDecoder>(configuration: .init(modelFormat: format)) { MuLawDecoder() }
    await pipeline.start(modelSink: modelSink, callerSink: callerSink, events: { _ in })
    pipelines.append(pipeline)
    producers.append(pipeline.makeModelAudioProducer())
}
let residentPerCall = Double(residentKB() - residentBefore) / Double(calls)

/// Wall time the driver spent in each direction, summed over calls and ticks (with `timed`).
struct DirectionTimes: Sendable {
    var deliverNs: UInt64 = 0
    var modelAudioNs: UInt64 = 0
}

/// Delivers every call's frames once per 20 ms tick on a thread of its own, as a network event
/// loop would (sleeping to an absolute deadline), and returns that thread's CPU seconds. A task
/// on the main actor sleeping with `Task.sleep` cost the harness several context switches a tick.
func drive(pipelines: [CallPipeline<MuLawDecoder>], producers: [ModelAudioProducer], ticks: Int,
           timed: Bool) async -> (cpu: Double, times: DirectionTimes) {
    await withCheckedContinuation { (done: CheckedContinuation<(cpu: Double, times: DirectionTimes), Never>) in
        let thread = Thread {
            let driverStart = cpuSeconds(thread: true)
            var deadline = MonotonicClock.nowNs()
            var times = DirectionTimes()
            for tick in 0..<ticks {
                let now = MonotonicClock.nowNs()
                for index in 0..<pipelines.count {
                    let start = timed ? MonotonicClock.nowNs() : 0
                    pipelines[index].deliver(callerFrame, sequence: UInt32(tick), arrivalNs: now)
                    let delivered = timed ? MonotonicClock.nowNs() : 0
                    modelChunk.withUnsafeBytes { producers[index].append($0, item: 1) }
                    if timed {
                        times.deliverNs += delivered - start
                        times.modelAudioNs += MonotonicClock.nowNs() - delivered
                    }
                }
                deadline += 20_000_000
                MonotonicClock.sleep(untilNs: deadline)
            }
            done.resume(returning: (cpuSeconds(thread: true) - driverStart, times))
        }
        thread.start()
    }
}

let clock = ContinuousClock()
let start = clock.now
let cpuStart = cpuSeconds()
let (driverCPU, times) = await drive(pipelines: pipelines, producers: producers, ticks: seconds * 50, timed: timed)
try await Task.sleep(for: .milliseconds(200))
let wall = (clock.now - start) / .seconds(1)
let cpu = cpuSeconds() - cpuStart
for pipeline in pipelines { await pipeline.stop() }

let expectedFrames = calls * seconds * 50
let framesToModel = modelSink.bytes.load(ordering: .relaxed) / format.bytesPerFrame
let framesToCaller = callerSink.frames.load(ordering: .relaxed)
let dropped = pipelines.reduce(0) { $0 + $1.counters.inboundDropped.load(ordering: .relaxed) }
// The driver does what the network threads would: deliver (inline DSP) and convert model audio.
let pipelineCPU = cpu
let callSeconds = Double(calls * seconds)
let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
print("calls: \(calls), seconds: \(seconds), model format: \(format), inbound drive: \(drive), cores: \(Int(cores))")
print("frames to model: \(framesToModel) of \(expectedFrames); frames to caller: \(framesToCaller) (pacer, ~\(expectedFrames) minus lead); inbound dropped: \(dropped)")
print(String(format: "CPU: %.3f s total over %.2f s wall (of it on the delivering thread: %.3f s); %.1f us per call-second", cpu, wall, driverCPU, pipelineCPU / callSeconds * 1e6))
print(String(format: "headroom over real time: %.1fx (%.0f cores / %.3f cores used by the pipelines)", cores / (pipelineCPU / wall), cores, pipelineCPU / wall))
print(String(format: "resident memory per pipeline: %.1f KB", residentPerCall))
if timed {
    let callTicks = Double(expectedFrames)
    print(String(format: "per call and 20 ms (driver's wall clock): caller frame delivered in %.0f ns, model audio appended in %.0f ns",
                 Double(times.deliverNs) / callTicks, Double(times.modelAudioNs) / callTicks))
}
