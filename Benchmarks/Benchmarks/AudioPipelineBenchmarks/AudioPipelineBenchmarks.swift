import AudioPipeline
import Benchmark
import TestFixtures
import Codecs
import DequeModule
import Foundation
import Synchronization

/// The runtime's per-frame costs: the ring buffer against the obvious alternatives, the VAD,
/// and one call's whole inbound + outbound path per 20 ms of audio.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2)
    )

    let frame = G711Frame(sequence: 1, payload: InlineArray(repeating: 0x55))

    // MARK: Handing a 20 ms frame from one side to the other (same thread: the bare cost)

    Benchmark("handoff of a 20 ms frame: SPSC ring (push + pop)") { benchmark in
        let ring = SPSCRingBuffer<G711Frame>(minimumCapacity: 64)
        for _ in benchmark.scaledIterations {
            _ = ring.push(frame)
            blackHole(ring.pop())
        }
    }

    Benchmark("handoff of a 20 ms frame: Mutex<Deque> (append + popFirst)") { benchmark in
        let queue = Mutex(Deque<G711Frame>(minimumCapacity: 64))
        for _ in benchmark.scaledIterations {
            queue.withLock { $0.append(frame) }
            blackHole(queue.withLock { $0.popFirst() })
        }
    }

    Benchmark("handoff of a 20 ms frame: AsyncStream (yield + next)") { benchmark in
        let (stream, continuation) = AsyncStream.makeStream(of: G711Frame.self, bufferingPolicy: .bufferingNewest(64))
        var iterator = stream.makeAsyncIterator()
        for _ in benchmark.scaledIterations {
            continuation.yield(frame)
            blackHole(await iterator.next())
        }
    }

    // MARK: Across two threads: items per second

    Benchmark("cross-thread transfer, 1M frames: SPSC ring",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxIterations: 5)) { benchmark in
        let ring = SPSCRingBuffer<G711Frame>(minimumCapacity: 1024)
        let total = 1_000_000
        let producer = Thread {
            var sent = 0
            while sent < total { if ring.push(frame) { sent += 1 } }
        }
        benchmark.startMeasurement()
        producer.start()
        var received = 0
        while received < total { if ring.pop() != nil { received += 1 } }
    }

    Benchmark("cross-thread transfer, 1M frames: Mutex<Deque>",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxIterations: 5)) { benchmark in
        let queue = Mutex(Deque<G711Frame>(minimumCapacity: 1024))
        let total = 1_000_000
        let producer = Thread {
            var sent = 0
            while sent < total {
                if queue.withLock({ queue in queue.count < 1024 ? { queue.append(frame); return true }() : false }) { sent += 1 }
            }
        }
        benchmark.startMeasurement()
        producer.start()
        var received = 0
        while received < total { if queue.withLock({ $0.popFirst() }) != nil { received += 1 } }
    }

    Benchmark("cross-thread transfer, 1M frames: AsyncStream",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxIterations: 5)) { benchmark in
        let (stream, continuation) = AsyncStream.makeStream(of: G711Frame.self, bufferingPolicy: .unbounded)
        let total = 1_000_000
        let producer = Thread {
            for _ in 0..<total { continuation.yield(frame) }
            continuation.finish()
        }
        benchmark.startMeasurement()
        producer.start()
        var received = 0
        for await item in stream { blackHole(item); received += 1 }
        precondition(received == total)
    }

    // MARK: VAD

    for rate in [8000, 24000] {
        Benchmark("VAD, one 10 ms frame at \(rate / 1000) kHz") { benchmark in
            var detector = VoiceActivityDetector(configuration: .init(sampleRate: rate))
            let samples = (0..<(rate / 100 * 50)).map { Float(sin(Double($0) * 0.05) * 0.2) }
            var offset = 0
            let size = rate / 100
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                samples.withUnsafeBufferPointer { samples in
                    blackHole(detector.process(UnsafeBufferPointer(rebasing: samples[offset..<offset + size])))
                }
                offset = (offset + size) % samples.count
            }
        }
    }

    // A caller 20 dB over the call tests' busy room: the background gate and the near-talker
    // check at work (the rows above are a steady tone, where the check does not apply).
    Benchmark("VAD, one 10 ms frame at 8 kHz, a caller in a busy room") { benchmark in
        let samples = try BusyRoom.samples().enumerated().map { index, sample -> Float in
            let t = Double(index) / 8000
            let speaking = t.truncatingRemainder(dividingBy: 3) < 1
            let voice = speaking ? (1...6).reduce(0.0) { $0 + 0.08 * sin(2 * .pi * 150 * Double($1) * t) / Double($1) } : 0
            return sample * 0.069 + Float(voice)
        }
        var detector = VoiceActivityDetector(configuration: .init(sampleRate: 8000))
        var offset = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            samples.withUnsafeBufferPointer { samples in
                blackHole(detector.process(UnsafeBufferPointer(rebasing: samples[offset..<offset + 80])))
            }
            offset = (offset + 80) % samples.count
        }
    }

    // The same frame for one of a thousand detectors in turn: each finds its state out of cache,
    // as it does with a thousand calls, so the difference from the row above is the cost of that.
    Benchmark("VAD, one 10 ms frame at 8 kHz, 1,000 detectors in turn") { benchmark in
        var detectors = (0..<1000).map { _ in VoiceActivityDetector(configuration: .init(sampleRate: 8000)) }
        // A stride coprime to 1,000 and far larger than a detector: no prefetcher follows it.
        let order = (0..<1000).map { $0 * 617 % 1000 }
        let samples = (0..<(80 * 50)).map { Float(sin(Double($0) * 0.35) * 0.2) }
        var offset = 0
        var turn = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            samples.withUnsafeBufferPointer { samples in
                detectors.withUnsafeMutableBufferPointer { detectors in
                    blackHole(detectors[order[turn]].process(UnsafeBufferPointer(rebasing: samples[offset..<offset + 80])))
                }
            }
            turn += 1
            if turn == 1000 {
                turn = 0
                offset = (offset + 80) % samples.count
            }
        }
    }

    // MARK: One call, 20 ms of audio each way

    for format in [ModelAudioFormat.pcm16(sampleRate: 24000), .muLaw] {
        let label = format == .muLaw ? "mu-law pass-through" : "pcm16 24 kHz"
        Benchmark("call pipeline, 20 ms in + 20 ms out (\(label))") { benchmark in
            var inbound = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: format)
            var outbound = OutboundPath(format: format)
            var pacer = PlayoutPacer()
            let ring = OutboundFrameRing(minimumCapacity: 64, encoding: .muLaw)
            let modelFrame = [UInt8](repeating: 0x10, count: format.bytesPerFrame)
            var sequence: UInt32 = 0
            var now: UInt64 = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                inbound.receive(frame, sequence: sequence, arrivalNs: now)
                inbound.process(now: now, model: { blackHole($0.count) }, speech: { blackHole($0) })
                modelFrame.withUnsafeBytes { outbound.append($0, item: 1, into: ring) }
                pacer.tick(now: now, queue: ring) { blackHole($0.frame.endOffsetMs) }
                sequence &+= 1
                now += 20_000_000
            }
        }
    }

    // A wideband caller (16 kHz linear PCM, Plivo's): decode, 16k -> 24k and back, both ways.
    Benchmark("call pipeline, 20 ms in + 20 ms out (16 kHz L16 caller, pcm16 24 kHz)") { benchmark in
        var inbound = InboundPath(decoder: Linear16Decoder(sampleRate: 16000), jitterMode: .forwardImmediately,
                                  modelFormat: .pcm16(sampleRate: 24000))
        var outbound = OutboundPath(format: .pcm16(sampleRate: 24000), caller: .linear16(sampleRate: 16000))
        var pacer = PlayoutPacer()
        let ring = OutboundFrameRing(minimumCapacity: 64, encoding: .linear16(sampleRate: 16000))
        let wideFrame = [UInt8](repeating: 0x10, count: 640).withUnsafeBytes { Linear16Frame(sequence: 0, bytes: $0)! }
        let modelFrame = [UInt8](repeating: 0x10, count: 960)
        var sequence: UInt32 = 0
        var now: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            inbound.receive(wideFrame, sequence: sequence, arrivalNs: now)
            inbound.process(now: now, model: { blackHole($0.count) }, speech: { blackHole($0) })
            modelFrame.withUnsafeBytes { outbound.append($0, item: 1, into: ring) }
            pacer.tick(now: now, queue: ring) { blackHole($0.frame.endOffsetMs) }
            sequence &+= 1
            now += 20_000_000
        }
    }
}
