import AudioPipeline
import Testing

@Suite struct PlayoutPacerTests {
    static let ms: UInt64 = 1_000_000

    static func enqueue(_ queue: OutboundFrameRing, item: UInt32, frames: Int, firstEndMs: UInt32 = 20) {
        for index in 0..<frames {
            let frame = OutboundFrame(item: item, endOffsetMs: firstEndMs + UInt32(index * 20))
            let audio = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 160)
            #expect(audio.withUnsafeBytes { queue.push(frame, audio: $0) })
        }
    }

    @Test func aBurstIsReleasedInRealTimeNeverMoreThanTheLeadAhead() {
        let queue = OutboundFrameRing(minimumCapacity: 256, encoding: .muLaw)
        var pacer = PlayoutPacer()
        Self.enqueue(queue, item: 1, frames: 50)  // one second of audio arrives at once
        var releases: [(time: UInt64, offset: UInt32, mark: Bool)] = []
        for now in stride(from: UInt64(0), through: 1200 * Self.ms, by: 5_000_000) {
            pacer.tick(now: now, queue: queue) { releases.append((now, $0.frame.endOffsetMs, $0.wantsMark)) }
            #expect(pacer.queuedAheadMs(now: now) <= 60)
        }
        #expect(releases.count == 50)
        #expect(releases.map(\.offset) == (1...50).map { UInt32($0 * 20) })
        // After the first three (the lead), one frame per 20 ms.
        #expect(releases.prefix(3).allSatisfy { $0.time == 0 })
        for (earlier, later) in zip(releases.dropFirst(3), releases.dropFirst(4)) {
            #expect(later.time - earlier.time == 20 * Self.ms)
        }
        // A mark every five frames (the last one is the fiftieth).
        #expect(releases.filter(\.mark).map(\.offset) == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    }

    @Test func flushReportsWhatTheCallerHeardAndDropsTheRest() {
        let queue = OutboundFrameRing(minimumCapacity: 256, encoding: .muLaw)
        var pacer = PlayoutPacer()
        Self.enqueue(queue, item: 7, frames: 100)
        for now in stride(from: UInt64(0), through: 730 * Self.ms, by: 10_000_000) {
            pacer.tick(now: now, queue: queue) { _ in }
        }
        #expect(pacer.playedMs(now: 730 * Self.ms) == 730)
        let truncation = pacer.flush(now: 737 * Self.ms, queue: queue)
        #expect(truncation == .init(item: 7, playedMs: 737))
        #expect(queue.count == 0)
        #expect(!pacer.isPlaying(now: 737 * Self.ms))
        // The next response starts cleanly at once.
        Self.enqueue(queue, item: 8, frames: 2)
        var sent = 0
        pacer.tick(now: 740 * Self.ms, queue: queue) { _ in sent += 1 }
        #expect(sent == 2)
        #expect(pacer.playedMs(now: 750 * Self.ms) == 10)
    }

    /// The model keeps streaming a reply until it hears of the barge-in: what of the cut reply
    /// reaches the queue after the flush is never played (it would follow Twilio's `clear`),
    /// while the next reply plays at once. A flush with nothing ahead (the caller answering)
    /// cuts nothing.
    @Test func aFlushWithAudioAheadCutsTheRestOfItsReply() {
        let queue = OutboundFrameRing(minimumCapacity: 256, encoding: .muLaw)
        var pacer = PlayoutPacer()
        Self.enqueue(queue, item: 4, frames: 20)
        var sent: [UInt32] = []
        pacer.tick(now: 0, queue: queue) { sent.append($0.frame.item) }
        #expect(pacer.flush(now: 30 * Self.ms, queue: queue) == .init(item: 4, playedMs: 30))
        Self.enqueue(queue, item: 4, frames: 5, firstEndMs: 420)   // sent by the model before it heard
        Self.enqueue(queue, item: 5, frames: 2)
        sent.removeAll()
        pacer.tick(now: 40 * Self.ms, queue: queue) { sent.append($0.frame.item) }
        #expect(sent == [5, 5])
        #expect(pacer.framesDroppedAfterCut == 5)

        // Reply 5 has played out (no mark pending): the caller answering cuts nothing.
        #expect(!pacer.hasAudioAhead(now: 300 * Self.ms))
        #expect(pacer.flush(now: 300 * Self.ms, queue: queue)?.item == 5)
        Self.enqueue(queue, item: 5, frames: 1, firstEndMs: 60)
        sent.removeAll()
        pacer.tick(now: 310 * Self.ms, queue: queue) { sent.append($0.frame.item) }
        #expect(sent == [5])
        #expect(pacer.framesDroppedAfterCut == 5)
    }

    @Test func underrunPausesThePlayedPosition() {
        let queue = OutboundFrameRing(minimumCapacity: 64, encoding: .muLaw)
        var pacer = PlayoutPacer()
        Self.enqueue(queue, item: 1, frames: 5)
        for now in stride(from: UInt64(0), through: 300 * Self.ms, by: 10_000_000) {
            pacer.tick(now: now, queue: queue) { _ in }
        }
        // 100 ms were sent; playback ran dry at 100 ms and stays there.
        #expect(pacer.playedMs(now: 300 * Self.ms) == 100)
        Self.enqueue(queue, item: 1, frames: 5, firstEndMs: 120)
        pacer.tick(now: 300 * Self.ms, queue: queue) { _ in }
        #expect(pacer.playedMs(now: 340 * Self.ms) == 140)
        #expect(pacer.underruns == 1)
    }

    @Test func aLateMarkEchoPullsThePlaybackModelBack() {
        let queue = OutboundFrameRing(minimumCapacity: 64, encoding: .muLaw)
        var pacer = PlayoutPacer()
        Self.enqueue(queue, item: 3, frames: 40)
        for now in stride(from: UInt64(0), through: 200 * Self.ms, by: 10_000_000) {
            pacer.tick(now: now, queue: queue) { _ in }
        }
        // Twilio started late: the mark after 100 ms echoes at 200 ms, when the model said 200.
        pacer.markPlayed(item: 3, offsetMs: 100, now: 150 * Self.ms + 50 * Self.ms)
        #expect(pacer.playedMs(now: 200 * Self.ms) == 100)
        #expect(pacer.playedMs(now: 260 * Self.ms) == 160)
        // The model's clock moved too, so the lead is still bounded by real playback.
        #expect(pacer.queuedAheadMs(now: 200 * Self.ms) <= 160)
        // An echo for another item or one that is not behind the model changes nothing.
        pacer.markPlayed(item: 9, offsetMs: 20, now: 260 * Self.ms)
        #expect(pacer.playedMs(now: 260 * Self.ms) == 160)
    }

    /// Audio is ahead of the caller while it plays by the clock model, and for a bounded grace
    /// after that while the last mark sent has not come back; once it has, or after a flush,
    /// a caller who speaks is answering, not interrupting.
    @Test func audioIsAheadUntilPlayedAndItsLastMarkEchoed() {
        let queue = OutboundFrameRing(minimumCapacity: 64, encoding: .muLaw)
        var pacer = PlayoutPacer()
        #expect(!pacer.hasAudioAhead(now: 0))
        Self.enqueue(queue, item: 4, frames: 10)  // 200 ms, marks after 100 and 200 ms
        var marks: [UInt32] = []
        for now in stride(from: UInt64(0), through: 300 * Self.ms, by: 10_000_000) {
            pacer.tick(now: now, queue: queue) { if $0.wantsMark { marks.append($0.frame.endOffsetMs) } }
        }
        #expect(marks == [100, 200])
        #expect(pacer.hasAudioAhead(now: 150 * Self.ms))
        // Played out by the clock at 200 ms, but the last mark is still out: Twilio may be late.
        #expect(!pacer.isPlaying(now: 300 * Self.ms))
        #expect(pacer.hasAudioAhead(now: 300 * Self.ms))
        // Twilio is 200 ms late: the first mark echoes at 300 ms, so 100 ms are still to play.
        pacer.markPlayed(item: 4, offsetMs: 100, now: 300 * Self.ms)
        #expect(pacer.hasAudioAhead(now: 390 * Self.ms))
        // The last mark's echo: everything sent has played.
        pacer.markPlayed(item: 4, offsetMs: 200, now: 400 * Self.ms)
        #expect(!pacer.hasAudioAhead(now: 400 * Self.ms))

        // A client that never echoes marks: ahead only for the grace (500 ms) past the modelled end.
        var silent = PlayoutPacer()
        Self.enqueue(queue, item: 5, frames: 5)
        for now in stride(from: UInt64(0), through: 200 * Self.ms, by: 10_000_000) {
            silent.tick(now: now, queue: queue) { _ in }
        }
        #expect(silent.hasAudioAhead(now: 590 * Self.ms))
        #expect(!silent.hasAudioAhead(now: 610 * Self.ms))

        // A flush: Twilio's `clear` echoes what is pending, nothing is ahead any more.
        Self.enqueue(queue, item: 6, frames: 10)
        silent.tick(now: 1000 * Self.ms, queue: queue) { _ in }
        #expect(silent.hasAudioAhead(now: 1010 * Self.ms))
        _ = silent.flush(now: 1010 * Self.ms, queue: queue)
        #expect(!silent.hasAudioAhead(now: 1010 * Self.ms))
    }
}
