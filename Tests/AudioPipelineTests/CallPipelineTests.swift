import AudioPipeline
import Foundation
import Testing

@Suite struct CallPipelineTests {
    typealias Pipeline = CallPipeline<MuLawDecoder>

    @Test func framesFlowBothWaysAndBargeInReportsWhatWasHeard() async throws {
        let pipeline = Pipeline(configuration: .init(), pacingClock: PacingClock()) { MuLawDecoder() }
        let model = RecordingModelSink(), caller = RecordingCallerSink()
        let (eventStream, eventSink) = AsyncStream.makeStream(of: PipelineEvent.self)
        await pipeline.start(modelSink: model, callerSink: caller, events: { eventSink.yield($0) })
        var events = eventStream.makeAsyncIterator()

        // Inbound: 1 s of caller audio delivered in real time (50 frames, 20 ms apart).
        let audio = [Float](repeating: 0, count: 2400) + TestAudio.sine(440, rate: 8000, count: 5600)
        for frame in TestAudio.muLawFrames(audio) {
            pipeline.deliver(frame, sequence: frame.sequence, arrivalNs: MonotonicClock.nowNs())
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(model.frames == 50)
        #expect(model.bytes.count == 50 * 960)
        let first = await events.next()
        guard case .speechStarted? = first else {
            Issue.record("expected the caller's speech to be detected first, got \(String(describing: first))")
            return
        }

        // Outbound: 2 s of model audio at once; the pacer plays it in real time.
        let producer = pipeline.makeModelAudioProducer()
        let reply = TestAudio.pcm16Bytes(TestAudio.sine(300, rate: 24000, count: 48000))
        reply.withUnsafeBytes { producer.append($0, item: 7) }
        producer.finishItem()
        try await Task.sleep(for: .milliseconds(500))
        let sentBefore = caller.sent
        // Lead is 60 ms: after 500 ms about 25 + 3 frames have gone (fewer if this machine is busy), not all 100.
        #expect(sentBefore.count >= 15 && sentBefore.count <= 32, "\(sentBefore.count) frames after 500 ms")
        #expect(sentBefore.contains { $0.mark })
        pipeline.requestFlush()
        var flushed: PipelineEvent?
        while let event = await events.next() {
            if case .flushed = event { flushed = event; break }
        }
        guard case .flushed(let flush)? = flushed else {
            Issue.record("no flush event")
            return
        }
        let (item, playedMs, atNs) = (flush.item, flush.playedMs, flush.atNs)
        #expect(item == 7)
        #expect(flush.audioWasAhead)
        // What the caller heard is what was sent before the flush, less at most the pacer's lead
        // (60 ms) and one tick still queued at Twilio. (Exact timelines are in PlayoutPacerTests;
        // here the clock runs on a busy machine.)
        let sentMs = caller.sent.filter { $0.atNs <= atNs }.count * 20
        #expect(Int(playedMs) <= sentMs && Int(playedMs) >= sentMs - 80, "played \(playedMs) ms of \(sentMs) ms sent")
        try await Task.sleep(for: .milliseconds(100))
        let sentAfter = caller.sent.count
        try await Task.sleep(for: .milliseconds(100))
        #expect(caller.sent.count == sentAfter)
        await pipeline.stop()
    }

    /// The model's first audio goes to the caller while the model reader appends it, not at the
    /// clock's next tick (here five seconds away): the lead, 60 ms, at once, then nothing more
    /// until the clock ticks. (How the pacer spaces frames is timed in PlayoutPacerTests.)
    @Test func theModelsFirstAudioIsSentAtOnceNotAtTheNextTick() async throws {
        let pipeline = Pipeline(configuration: .init(), pacingClock: PacingClock(period: .seconds(5))) { MuLawDecoder() }
        let caller = RecordingCallerSink()
        await pipeline.start(modelSink: RecordingModelSink(), callerSink: caller, events: { _ in })
        // Let the clock's first tick (on registering) pass.
        try await Task.sleep(for: .milliseconds(100))
        let producer = pipeline.makeModelAudioProducer()
        let reply = TestAudio.pcm16Bytes(TestAudio.sine(300, rate: 24000, count: 24000))
        reply.withUnsafeBytes { producer.append($0, item: 1) }
        #expect(caller.sent.count == 3)
        try await Task.sleep(for: .milliseconds(200))
        #expect(caller.sent.count == 3)
        await pipeline.stop()
    }

    /// Frames that arrive before the call's pipeline starts wait, up to the ring's capacity; the
    /// rest are refused and counted, and the waiting ones reach the model, oldest first, with the
    /// first frame after the start.
    @Test func framesBeforeTheStartWaitUpToTheRingAndTheRestAreCounted() async throws {
        let pipeline = Pipeline(configuration: .init(inboundCapacity: 16)) { MuLawDecoder() }
        let frames = TestAudio.muLawFrames([Float](repeating: 0.1, count: 160 * 41))
        for frame in frames.prefix(40) {
            pipeline.deliver(frame, sequence: frame.sequence, arrivalNs: 0)
        }
        #expect(pipeline.counters.inboundDropped.load(ordering: .relaxed) == 24)
        let model = RecordingModelSink()
        await pipeline.start(modelSink: model, callerSink: RecordingCallerSink(), events: { _ in })
        #expect(model.frames == 0)
        pipeline.deliver(frames[40], sequence: frames[40].sequence, arrivalNs: 0)
        // The 16 that waited (1-16), then frame 41: the 24 refused ones are a jump the jitter buffer
        // starts over from, not a wait (and nothing that waited is lost to it).
        #expect(model.frames == 17, "\(model.frames) frames reached the model")
        #expect(pipeline.counters.inboundDropped.load(ordering: .relaxed) == 24)
        await pipeline.stop()
    }

    @Test func creatingAndClosingTenThousandPipelinesLeavesMemoryFlat() async {
        let clock = PacingClock()
        /// Cycles `count` pipelines and returns how many are still alive afterwards.
        func cycle(_ count: Int) async -> Int {
            var survivors: [WeakPipeline] = []
            for _ in 0..<count {
                let pipeline = Pipeline(configuration: .init(), pacingClock: clock) { MuLawDecoder() }
                // The event handler holds the pipeline, as a call's does: stopping lets it go.
                await pipeline.start(modelSink: RecordingModelSink(), callerSink: RecordingCallerSink(),
                                     events: { [pipeline] _ in pipeline.requestFlush() })
                let frame = TestAudio.muLawFrames([Float](repeating: 0.1, count: 160))[0]
                pipeline.deliver(frame, sequence: 1, arrivalNs: 0)
                pipeline.makeModelAudioProducer().append(UnsafeRawBufferPointer(start: nil, count: 0), item: 1)
                await pipeline.stop()
                survivors.append(WeakPipeline(pipeline))
            }
            return survivors.filter { $0.pipeline != nil }.count
        }
        _ = await cycle(1000)
        let before = TestAudio.residentBytes()
        // Every pipeline is freed once stopped and released (nothing keeps a reference: tasks, clock,
        // rings, the event handler).
        #expect(await cycle(10_000) == 0)
        #expect(clock.memberCount == 0)
        let growth = TestAudio.residentBytes() - before
        // One pipeline holds ~40 KB, so 10,000 leaked ones would be ~400 MB. The bound is loose because
        // other suites run in this process at the same time and their memory counts here too.
        #expect(growth < 64 * 1024 * 1024, "resident memory grew \(growth / 1024) KB over 10,000 pipelines")
    }
}

final class WeakPipeline {
    weak var pipeline: CallPipeline<MuLawDecoder>?
    init(_ pipeline: CallPipeline<MuLawDecoder>) { self.pipeline = pipeline }
}
