/// Releases model audio to the caller at real-time pace, a bounded lead ahead of playback,
/// and keeps track of how much of each response item the caller has actually heard.
///
/// Model audio arrives in bursts much faster than real time. Sending it all at once would let
/// Twilio buffer seconds of speech that a barge-in then has to claw back; the pacer keeps at
/// most ``Configuration/lead`` queued at Twilio instead. It models Twilio's playback as a clock
/// (each frame starts when the previous one ends, or now after an underrun) and corrects that
/// model with Twilio's `mark` echoes, so ``playedMs(now:)`` is what the caller heard, which is
/// the `audio_end_ms` a `conversation.item.truncate` needs.
///
/// A plain struct with no clock of its own: times are monotonic nanoseconds passed in, so the
/// owner decides when to tick and tests can replay exact timelines. Nothing here allocates.
public struct PlayoutPacer: Sendable {
    public struct Configuration: Sendable {
        /// How far ahead of the caller's playback the pacer may send (default 60 ms).
        public var lead: Duration
        /// Ask for a Twilio `mark` every this many frames (5: every 100 ms).
        public var markEveryFrames: Int
        /// How long past the clock model's end of playback a mark not yet echoed still counts as
        /// audio ahead of the caller (Twilio playing late). Bounded, because a client that never
        /// echoes marks would otherwise make every later caller turn look like a barge-in.
        public var markEchoGrace: Duration

        public init(lead: Duration = .milliseconds(60), markEveryFrames: Int = 5, markEchoGrace: Duration = .milliseconds(500)) {
            self.lead = lead
            self.markEveryFrames = markEveryFrames
            self.markEchoGrace = markEchoGrace
        }
    }

    /// What ``tick(now:queue:send:)`` hands over for each released frame.
    public struct Release {
        public var frame: OutboundFrame
        /// The frame's audio in the caller's encoding, readable until the queue's next pop.
        public var audio: UnsafeRawBufferPointer
        /// Send a `mark` after this frame (its name encodes item and ``OutboundFrame/endOffsetMs``).
        public var wantsMark: Bool
    }

    /// Where playback stood when the pacer was flushed.
    public struct Truncation: Sendable, Equatable {
        public var item: UInt32
        /// Milliseconds of the item the caller heard: `audio_end_ms`.
        public var playedMs: UInt32

        public init(item: UInt32, playedMs: UInt32) {
            self.item = item
            self.playedMs = playedMs
        }
    }

    public let configuration: Configuration
    private let leadNs: UInt64
    private let markEchoGraceNs: UInt64
    private static let frameNs: UInt64 = 20_000_000

    /// When the last frame sent so far finishes playing at Twilio (ns).
    private var scheduledEndNs: UInt64 = 0
    /// The item being played, its last sent offset, and an anchor: at `anchorNs`, playback was at `anchorOffsetMs`.
    private var item: UInt32?
    private var sentOffsetMs: UInt32 = 0
    private var anchorNs: UInt64 = 0
    private var anchorOffsetMs: UInt32 = 0
    private var framesSinceMark = 0
    /// The last mark sent, while Twilio has not echoed it.
    private var unechoedMark: (item: UInt32, offsetMs: UInt32)?
    /// The newest item a flush cut off while it was ahead of the caller: what of it, or of an
    /// older item, still reaches the queue is dropped. The model keeps sending a reply until it
    /// hears of the barge-in, and frames it sent meanwhile would otherwise play after the `clear`.
    private var cutThrough: UInt32?

    /// Frames of a cut item dropped instead of released.
    public private(set) var framesDroppedAfterCut = 0

    /// Frames released since creation.
    public private(set) var releasedFrames = 0
    /// Ticks that found the lead spent and nothing queued while playback ran dry (underruns).
    public private(set) var underruns = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.leadNs = configuration.lead.wholeNanoseconds
        self.markEchoGraceNs = configuration.markEchoGrace.wholeNanoseconds
    }

    /// Milliseconds of audio sent to the caller that have not played yet.
    public func queuedAheadMs(now: UInt64) -> Int {
        scheduledEndNs > now ? Int((scheduledEndNs - now) / 1_000_000) : 0
    }

    /// Releases as many frames from `queue` as the lead allows, calling `send` for each.
    /// Call it every few ms (at least every 20 ms); it returns how many frames it released.
    @discardableResult
    public mutating func tick(now: UInt64, queue: OutboundFrameRing, send: (Release) -> Void) -> Int {
        var released = 0
        while scheduledEndNs <= now + leadNs - Self.frameNs, let frame = queue.pop() {
            if let cut = cutThrough {
                // Item numbers only grow (wrapping): a newer one is the next reply.
                guard Int32(bitPattern: frame.item &- cut) > 0 else {
                    framesDroppedAfterCut += 1
                    continue
                }
                cutThrough = nil
            }
            let startNs = max(now, scheduledEndNs)
            if item != frame.item || startNs > scheduledEndNs {
                if item != frame.item {
                    item = frame.item
                    anchorOffsetMs = frame.endOffsetMs &- UInt32(OutboundFrame.durationMs)
                } else {
                    // Underrun: playback paused at what had been sent and resumes now.
                    anchorOffsetMs = sentOffsetMs
                    if releasedFrames > 0 { underruns += 1 }
                }
                anchorNs = startNs
            }
            scheduledEndNs = startNs + Self.frameNs
            sentOffsetMs = frame.endOffsetMs
            framesSinceMark += 1
            // Every few frames, not every one: a mark is a message each way, and the clock
            // model covers the frames between two marks.
            let wantsMark = framesSinceMark >= configuration.markEveryFrames
            if wantsMark {
                framesSinceMark = 0
                unechoedMark = (frame.item, frame.endOffsetMs)
            }
            send(Release(frame: frame, audio: queue.audio(of: frame), wantsMark: wantsMark))
            released += 1
        }
        releasedFrames += released
        return released
    }

    /// Milliseconds of the current item the caller has heard by `now`.
    public func playedMs(now: UInt64) -> UInt32 {
        guard item != nil, now > anchorNs else { return anchorOffsetMs }
        let elapsedMs = UInt32(min((now - anchorNs) / 1_000_000, UInt64(UInt32.max)))
        return min(sentOffsetMs, anchorOffsetMs &+ elapsedMs)
    }

    /// Twilio echoed the mark sent after the frame ending at `offsetMs` of `item`: playback
    /// reached that point at `now`. If the clock model ran ahead (Twilio started late, the
    /// network held frames), re-anchor it so played positions and the lead stay true.
    public mutating func markPlayed(item markItem: UInt32, offsetMs: UInt32, now: UInt64) {
        // Marks come back in order: an echo of the last one sent means none is outstanding.
        if let unechoed = unechoedMark, unechoed.item == markItem, unechoed.offsetMs <= offsetMs { unechoedMark = nil }
        guard markItem == item, playedMs(now: now) > offsetMs else { return }
        anchorNs = now
        anchorOffsetMs = offsetMs
        scheduledEndNs = now + UInt64(sentOffsetMs - offsetMs) * 1_000_000
    }

    /// Barge-in: drops everything not yet sent and reports what the caller heard of the
    /// current item. The caller must also send Twilio a `clear` for what Twilio still holds.
    /// When audio was still ahead of the caller, the items it belonged to are cut: their frames
    /// that arrive later are dropped too.
    public mutating func flush(now: UInt64, queue: OutboundFrameRing) -> Truncation? {
        var newestQueued: UInt32?
        while let frame = queue.pop() { newestQueued = frame.item }
        if newestQueued != nil || hasAudioAhead(now: now), let newest = newestQueued ?? item {
            cutThrough = newest
        }
        defer {
            item = nil
            scheduledEndNs = now
            framesSinceMark = 0
            // Twilio echoes every pending mark on `clear`.
            unechoedMark = nil
        }
        guard let item else { return nil }
        return Truncation(item: item, playedMs: playedMs(now: now))
    }

    /// Whether audio is still playing (or queued at Twilio) at `now`.
    public func isPlaying(now: UInt64) -> Bool { item != nil && scheduledEndNs > now }

    /// Whether agent audio sent is still ahead of the caller at `now`: playing by the clock
    /// model, or a mark sent with it not yet echoed (within ``Configuration/markEchoGrace`` of
    /// the modelled end). A caller who starts speaking then interrupts the agent; after it, the
    /// caller is answering.
    public func hasAudioAhead(now: UInt64) -> Bool {
        guard item != nil else { return false }
        return isPlaying(now: now) || (unechoedMark != nil && now < scheduledEndNs &+ markEchoGraceNs)
    }
}
