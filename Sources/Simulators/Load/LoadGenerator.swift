import Atomics
import Foundation
import NIOCore
import NIOPosix
import Wire

/// `voice-relay load`'s engine: plays N Twilio callers in real time against a relay on this
/// machine whose model is the ``SimulatedModel`` (its echo voice) it also runs, and measures what the relay
/// adds: frames lost and latency per direction (matched frame by frame through each call's
/// ``CallTimeline``), and the relay process's CPU and memory from `/proc`.
///
/// The callers share one event-loop thread and the stand-in has another, so the relay under test
/// competes with at most two busy threads, and each of them reports the CPU it used.
public final class LoadGenerator: Sendable {
    public struct Options: Sendable {
        public var calls: Int
        public var window: Duration
        public var relayHost: String
        public var relayPort: Int
        public var streamPath: String
        public var relayPID: Int32
        public var modelAudio: String
        /// Print a progress line (memory, frames) this often during the window.
        public var progressEvery: Duration?
        /// Fault injection, this far into the window: the model closes every session at once.
        public var dropModelAfter: Duration?
        /// Fault injection, this far into the window: SIGTERM to the relay (it should drain).
        public var terminateRelayAfter: Duration?
        /// Post Twilio's webhook (`POST /twiml`) before each stream, as Twilio does: the relay
        /// opens the call's model session there. Off: streams only (the relay connects on `start`).
        public var postsWebhook: Bool
        /// The carrier every caller plays (its webhook, its stream's messages).
        public var carrier: SimulatedCarrier

        public init(calls: Int, window: Duration, relayHost: String = "127.0.0.1", relayPort: Int, streamPath: String? = nil,
                    relayPID: Int32, modelAudio: String, progressEvery: Duration? = nil, dropModelAfter: Duration? = nil,
                    terminateRelayAfter: Duration? = nil, postsWebhook: Bool = true, carrier: SimulatedCarrier = .twilio) {
            self.postsWebhook = postsWebhook
            self.carrier = carrier
            self.dropModelAfter = dropModelAfter
            self.terminateRelayAfter = terminateRelayAfter
            self.calls = calls
            self.window = window
            self.relayHost = relayHost
            self.relayPort = relayPort
            self.streamPath = streamPath ?? (carrier == .twilio ? "/media-stream" : "/\(carrier.rawValue)/media-stream")
            self.relayPID = relayPID
            self.modelAudio = modelAudio
            self.progressEvery = progressEvery
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Longer than this to open every call means the machine cannot carry them: the run stops.
    static let rampLimit: Duration = .seconds(60)

    private let model: SimulatedModel
    private let recording = ManagedAtomic<Bool>(false)

    /// Starts the model stand-in (port 0 picks a free one).
    public init(modelPort: Int = 0) async throws {
        model = try await SimulatedModel.start(.init(port: modelPort, voice: .echo), recording: recording)
    }

    /// Where the relay should find its model (`OPENAI_REALTIME_URL`).
    public var modelURL: String { "ws://127.0.0.1:\(model.port)/v1/realtime?model=echo" }

    public func shutdown() async { await model.shutdown() }

    public func run(_ options: Options, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> LoadReport {
        guard ["127.0.0.1", "localhost", "::1"].contains(options.relayHost) else {
            throw Failure(description: "load runs target this machine only (127.0.0.1), not \(options.relayHost)")
        }
        guard let idle = ProcessSample.read(pid: options.relayPID) else {
            throw Failure(description: "no process \(options.relayPID) to measure")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let report = try await run(options, idle: idle, group: group, progress: progress)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(_ options: Options, idle: ProcessSample, group: MultiThreadedEventLoopGroup,
                     progress: @escaping @Sendable (String) -> Void) async throws -> LoadReport {
        let loop = group.next()
        let fleet = try await loop.submit { NIOLoopBound(CallerFleet(loop: loop), eventLoop: loop) }.get()

        // Ramp: one call at a time, each bound to its model session before the next starts.
        let rampStart = ContinuousClock.now
        var timelines: [CallTimeline] = []
        for index in 0..<options.calls {
            guard ContinuousClock.now - rampStart < Self.rampLimit else {
                throw Failure(description: "ramp stalled: \(index) of \(options.calls) calls up after \(Self.rampLimit) (the machine is saturated)")
            }
            let timeline = CallTimeline(index: index)
            timelines.append(timeline)
            try await open(timeline, fleet: fleet, loop: loop, options: options)
        }
        let rampSeconds = (ContinuousClock.now - rampStart).seconds
        progress("ramp: \(options.calls) calls up in \(String(format: "%.1f", rampSeconds)) s")
        try await Task.sleep(for: .seconds(2))

        // The measured window.
        let callerCPUStart = try await loop.submit { ThreadCPU.seconds() }.get()
        let modelStart = try await model.snapshot()
        guard let before = ProcessSample.read(pid: options.relayPID) else { throw Failure(description: "the relay exited during the ramp") }
        recording.store(true, ordering: .relaxed)
        var memory: [LoadReport.MemoryPoint] = []
        var lastProgress = ContinuousClock.now
        let windowStart = ContinuousClock.now
        let end = windowStart + options.window
        var fault: (name: String, at: ContinuousClock.Instant)?
        var afterFault: [Int]?
        while ContinuousClock.now < end {
            let elapsed = ContinuousClock.now - windowStart
            if fault == nil, let drop = options.dropModelAfter, elapsed >= drop {
                let dropped = try await model.dropAllSessions()
                fault = ("model dropped \(dropped) sessions", .now)
                progress("fault: the model closed \(dropped) sessions")
            }
            if fault == nil, let terminate = options.terminateRelayAfter, elapsed >= terminate {
                kill(options.relayPID, SIGTERM)
                fault = ("SIGTERM to the relay", .now)
                progress("fault: SIGTERM to the relay")
            }
            if let fault, afterFault == nil, ContinuousClock.now - fault.at >= .seconds(3) {
                // Audio each call had received 3 s after the fault; compared with the end.
                afterFault = timelines.map { $0.callerFramesReceived.load(ordering: .relaxed) }
            }
            try await Task.sleep(for: min(.seconds(1), end - ContinuousClock.now))
            guard let sample = ProcessSample.read(pid: options.relayPID) else { throw Failure(description: "the relay exited during the run") }
            memory.append(.init(seconds: (sample.at - before.at).seconds, residentMB: Double(sample.residentBytes) / 1_048_576))
            if let every = options.progressEvery, ContinuousClock.now - lastProgress >= every {
                lastProgress = ContinuousClock.now
                let sent = timelines.reduce(0) { $0 + $1.callerFramesSent.load(ordering: .relaxed) }
                progress(String(format: "t=%.0f s  relay RSS %.1f MB  CPU %.2f cores  caller frames sent %d",
                                (sample.at - before.at).seconds, Double(sample.residentBytes) / 1_048_576,
                                (sample.cpuSeconds - before.cpuSeconds) / (sample.at - before.at).seconds, sent))
            }
        }
        recording.store(false, ordering: .relaxed)
        guard let after = ProcessSample.read(pid: options.relayPID) else { throw Failure(description: "the relay exited during the run") }
        let callerCPUEnd = try await loop.submit { ThreadCPU.seconds() }.get()
        let modelEnd = try await model.snapshot()

        // Stop the audio, let what is in flight arrive, then count and hang up.
        try await loop.submit { fleet.value.pauseAll() }.get()
        try await Task.sleep(for: .milliseconds(1500))
        let callers = try await loop.submit { fleet.value.snapshot() }.get()
        let unboundAppends = try await model.snapshot().unboundAppends
        try await loop.submit { fleet.value.hangUpAll() }.get()
        try await Task.sleep(for: .milliseconds(500))

        /// `unmatched`: frames that arrived on sessions not matched to a call (reopened after a
        /// fault); they count as received, though not per call.
        func direction(sent: KeyPath<CallTimeline, ManagedAtomic<Int>>, received: KeyPath<CallTimeline, ManagedAtomic<Int>>,
                       heldBack: KeyPath<CallTimeline, ManagedAtomic<Int>>, unmatched: Int,
                       histogram: LatencyHistogram) -> LoadReport.Direction {
            let sentCount = timelines.reduce(0) { $0 + $1[keyPath: sent].load(ordering: .acquiring) }
            let missing = timelines.reduce(0) { $0 + max(0, $1[keyPath: sent].load(ordering: .acquiring) - $1[keyPath: received].load(ordering: .acquiring)) }
            let lost = missing - min(missing, unmatched)
            let receivedCount = timelines.reduce(0) { $0 + $1[keyPath: received].load(ordering: .acquiring) } + unmatched
            return .init(sent: sentCount, received: receivedCount, lost: lost,
                         heldBack: timelines.reduce(0) { $0 + $1[keyPath: heldBack].load(ordering: .relaxed) },
                         p50Ms: histogram.percentileMicroseconds(0.5) / 1000, p99Ms: histogram.percentileMicroseconds(0.99) / 1000,
                         maxMs: Double(histogram.maximumNs) / 1e6, samples: histogram.count)
        }
        let window = (after.at - before.at).seconds
        let relayCPU = after.cpuSeconds - before.cpuSeconds
        return LoadReport(
            calls: options.calls, callsHeld: callers.open, modelAudio: options.modelAudio, windowSeconds: window, rampSeconds: rampSeconds,
            inbound: direction(sent: \.callerFramesSent, received: \.modelFramesReceived, heldBack: \.callerFramesHeldBack,
                               unmatched: unboundAppends, histogram: modelEnd.inbound),
            outbound: direction(sent: \.modelFramesSent, received: \.callerFramesReceived, heldBack: \.modelFramesHeldBack,
                                unmatched: 0, histogram: callers.outbound),
            relayCPUMsPerCallSecond: relayCPU * 1000 / (Double(options.calls) * window), relayCores: relayCPU / window,
            relayKernelShare: relayCPU > 0 ? (after.kernelSeconds - before.kernelSeconds) / relayCPU : 0,
            relayResidentMBBefore: Double(idle.residentBytes) / 1_048_576, relayResidentMBAfter: Double(after.residentBytes) / 1_048_576,
            residentKBPerCall: Double(after.residentBytes - idle.residentBytes) / 1024 / Double(options.calls),
            generatorCores: (callerCPUEnd - callerCPUStart) / window, modelCores: (modelEnd.threadCPUSeconds - modelStart.threadCPUSeconds) / window,
            generatorLateTicks: callers.lateTicks, callsClosedByRelay: callers.closedByRelay, clears: callers.clears,
            cancels: modelEnd.cancels, marks: callers.marks, fault: fault?.name,
            callsWithAudioAfterFault: afterFault.map { counts in zip(timelines, counts).filter { $0.callerFramesReceived.load(ordering: .relaxed) > $1 }.count },
            memory: memory)
    }

    /// Opens one call and waits until the model stand-in has seen its first audio.
    private func open(_ timeline: CallTimeline, fleet: NIOLoopBound<CallerFleet>, loop: any EventLoop, options: LoadGenerator.Options) async throws {
        let bound = OncePromise(loop.makePromise(of: Void.self))
        let binder = model.binder
        let recording = self.recording
        let timeout = loop.scheduleTask(in: .seconds(10)) {
            bound.fail(Failure(description: "call \(timeline.index) got no model session within 10 s"))
        }
        defer { timeout.cancel() }
        var path = options.streamPath
        var audio = CallerAudioFormat.muLaw
        if options.postsWebhook {
            // As the carrier: the webhook first, then the stream its answer names (the relay opened
            // the model session at the webhook; the stream adopts it by call id).
            let callId = StreamStart.callSid(index: timeline.index, carrier: options.carrier)
            let twilioForm = "CallSid=\(callId)&AccountSid=ACload&From=%2B15550101&To=%2B15550100&CallStatus=ringing"
            let (webhookPath, form) = switch options.carrier {
            case .twilio: ("/twiml", twilioForm)
            case .telnyx: ("/telnyx/texml", twilioForm.replacingOccurrences(of: ":", with: "%3A"))
            case .plivo: ("/plivo/answer", "CallUUID=\(callId)&From=15550101&To=15550100&Direction=inbound&CallStatus=ringing")
            case .vonage: ("/vonage/answer", "to=15550100&from=15550101&uuid=\(callId)&conversation_uuid=CON-\(callId)")
            }
            let (relayPort, answer) = (options.relayPort, try await Self.onOwnThread {
                // Vonage fetches its answer URL with a GET, the call in the query.
                options.carrier == .vonage ? LoopbackHTTP.get(port: options.relayPort, path: webhookPath + "?" + form)
                    : LoopbackHTTP.postForm(port: options.relayPort, path: webhookPath, form: form)
            })
            guard let answer, answer.status == 200 else {
                throw Failure(description: "webhook for call \(timeline.index) answered \(answer.map { String($0.status) } ?? "nothing") on port \(relayPort)")
            }
            // Twilio's `<Stream url="...">`, Plivo's `<Stream ...>url</Stream>`, the NCCO's `"uri":"..."`.
            let named: Substring?
            if let start = answer.body.range(of: "\"uri\":\""), let end = answer.body[start.upperBound...].firstIndex(of: "\"") {
                named = answer.body[start.upperBound..<end]
            } else if let start = answer.body.range(of: "url=\""), let end = answer.body[start.upperBound...].firstIndex(of: "\"") {
                named = answer.body[start.upperBound..<end]
            } else if let open = answer.body.range(of: "<Stream "), let text = answer.body[open.upperBound...].firstIndex(of: ">"),
                      let close = answer.body.range(of: "</Stream>") {
                named = answer.body[answer.body.index(after: text)..<close.lowerBound]
            } else {
                named = nil
            }
            if let named, let url = URL(string: String(named)) { path = url.path }
            audio = CallerAudioFormat(answer: answer.body)
        }
        let target = CallerConnection.Target(host: options.relayHost, port: options.relayPort, path: path)
        let streamAudio = audio
        _ = try await CallerConnection.open(target, on: loop, makeCaller: {
            SimulatedCaller(load: .init(timeline: timeline, carrier: options.carrier, audio: streamAudio, statistics: fleet.value.statistics, recording: recording) { caller in
                binder.expect(timeline) { bound.succeed() }
                fleet.value.add(caller)
            })
        }, failed: { bound.fail($0) }).get()
        try await bound.future.get()
    }
}

extension LoadGenerator {
    /// Blocking socket work on a thread of its own, not one of the concurrency pool's.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

/// A promise that may be completed from several places (success, failure, timeout): the first wins.
final class OncePromise: Sendable {
    private let promise: EventLoopPromise<Void>
    private let done = ManagedAtomic<Bool>(false)

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    var future: EventLoopFuture<Void> { promise.futureResult }

    func succeed() { if !done.exchange(true, ordering: .acquiringAndReleasing) { promise.succeed() } }
    func fail(_ error: any Error) { if !done.exchange(true, ordering: .acquiringAndReleasing) { promise.fail(error) } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
