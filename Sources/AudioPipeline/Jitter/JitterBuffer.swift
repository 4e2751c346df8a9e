/// Puts network frames back in order and on time, and says when a frame must be concealed.
///
/// Frames carry a sequence number (Twilio's `chunk`, an RTP-style counter for Opus) and are
/// 20 ms each. Two modes:
/// - ``Mode/forwardImmediately`` (Twilio over TCP: nothing is reordered or retransmitted late):
///   a frame is released as soon as it arrives; a jump in the sequence releases concealment
///   for the missing frames first, so the model's timeline stays aligned with wall-clock time.
/// - ``Mode/adaptive(minimumDelay:maximumDelay:)`` (Opus over a lossy network): frames are held
///   until their playout time, `target delay` after the earliest they could have arrived. The
///   target follows the measured jitter in the spirit of WebRTC's NetEq: a high quantile
///   (99.9%) of recent arrival delays relative to the fastest frame seen, plus a 5 ms margin.
///   It starts at a cautious 60 ms (nothing is known yet), grows at once when jitter rises,
///   and shrinks 5 ms at a time when it falls, so playout never jumps audibly.
/// - ``Mode/reorder(depth:)`` (RTP a carrier forwards over TCP: its order is not promised, its
///   timing is the TCP stream's): a frame is released as soon as it is the next in order; a
///   missing one is waited for until `depth` frames after it have arrived, then concealed. No
///   delay unless a frame is missing, and no timing guess a busy machine's scheduling can upset.
///
/// Frames go in with ``insert(_:sequence:arrivalNs:)`` and come out, in order, from
/// ``next(now:)`` (call it until it returns nil). A struct over storage allocated once
/// (``capacity`` slots): no allocation per frame. A forwarding buffer allocates its slots only
/// when a frame first has to wait in one (a gap, a straggler, a repeat), which a healthy TCP call
/// never sees. Times are monotonic nanoseconds passed in.
///
/// Noncopyable because it owns its slots; `@unchecked Sendable` because only its single owner
/// ever reaches them.
public struct JitterBuffer<Frame: BitwiseCopyable>: ~Copyable, @unchecked Sendable where Frame: Sendable {
    public enum Mode: Sendable, Equatable {
        case forwardImmediately
        case adaptive(minimumDelay: Duration, maximumDelay: Duration)
        case reorder(depth: Int)
    }

    /// What the buffer hands on, in sequence order.
    public enum Output: Sendable {
        case frame(Frame, sequence: UInt32)
        /// The frame with this sequence number is lost: conceal it (PLC, FEC or fade).
        case conceal(sequence: UInt32)
    }

    public struct Statistics: Sendable, Equatable {
        public var received = 0
        public var released = 0
        public var concealed = 0
        /// Frames that arrived after their playout time (or after a later frame was forwarded).
        public var late = 0
        public var duplicates = 0
        /// Frames that arrived after a frame with a higher sequence number.
        public var reordered = 0
        /// Sequence jumps too large to bridge, handled by starting over.
        public var resyncs = 0
        /// The current target delay and the delay of the frames released most recently (ms).
        public var targetDelayMs = 0
        public var currentDelayMs = 0

        public var lateLossRate: Double { received == 0 ? 0 : Double(late) / Double(received) }
        public var concealmentRate: Double { released + concealed == 0 ? 0 : Double(concealed) / Double(released + concealed) }
    }

    public static var frameNs: UInt64 { 20_000_000 }

    public let mode: Mode
    /// Whether ``mode`` is ``Mode/forwardImmediately`` (read per frame: cheaper than comparing modes).
    private let forwards: Bool
    /// ``Mode/reorder(depth:)``'s depth; nil in the other modes.
    private let reorderDepth: Int?
    public private(set) var statistics = Statistics()
    /// Slots indexed by sequence modulo capacity (a power of two); empty until first needed.
    private var slots = UnsafeMutableBufferPointer<Frame?>(start: nil, count: 0)
    /// Slots, and the largest sequence jump bridged by concealment (bigger ones start over):
    /// 64 (1.28 s) when adaptive; 16 (320 ms) forwarding, where a frame never waits for the
    /// next and TCP delivers in order, so 9 KB a call stay free (and the 16 are allocated only
    /// if the call ever needs them: 2.7 KB of mu-law frames); 16 reordering, whose frames wait
    /// at most `depth` (under 16) frames.
    public let capacity: Int
    /// Sequence of the next frame to release.
    private var next: UInt32 = 0
    private var started = false
    private var highestSeen: UInt32 = 0
    /// Playout clock: frame k plays at `fastestOffsetNs + (k - playoutBaseSequence) x 20 ms + target`,
    /// that is `target` after the earliest it could have arrived.
    private var playoutBaseSequence: UInt32 = 0
    /// The earliest "arrival minus send position" seen: the fastest path through the network.
    private var fastestOffsetNs: Int64 = 0
    private var delayHistogram = DelayHistogram()
    /// The current target delay in ms.
    private var targetMs = 0
    private var lastShrinkNs: UInt64 = 0
    /// Where an adaptive buffer starts before it has measured anything.
    private static var initialTargetMs: Int { 60 }

    public init(mode: Mode) {
        self.mode = mode
        self.forwards = mode == .forwardImmediately
        if case .reorder(let depth) = mode { reorderDepth = min(max(depth, 1), 15) } else { reorderDepth = nil }
        self.capacity = mode == .forwardImmediately || reorderDepth != nil ? 16 : 64
        if !forwards { allocateSlots() }
        if case .adaptive(let minimum, let maximum) = mode {
            targetMs = min(max(Self.initialTargetMs, minimum.wholeMilliseconds), maximum.wholeMilliseconds)
        }
        statistics.targetDelayMs = targetMs
    }

    deinit { if slots.baseAddress != nil { slots.deallocate() } }

    private mutating func allocateSlots() {
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: nil)
    }

    /// Accepts a frame from the network.
    public mutating func insert(_ frame: Frame, sequence: UInt32, arrivalNs: UInt64) {
        if slots.isEmpty { allocateSlots() }
        statistics.received += 1
        if !started {
            start(at: sequence, arrivalNs: arrivalNs)
        }
        let distance = Int64(Int32(bitPattern: sequence &- next))
        if distance < Int64(capacity) {
            // Late frames count most: they are the jitter the target failed to cover.
            observeArrival(sequence: sequence, arrivalNs: arrivalNs)
        }
        if distance <= -Int64(capacity) || distance >= Int64(capacity) {
            // An absurd jump either way (a restarted sender, a corrupted counter; a real late
            // frame is never a whole buffer behind): start again from here.
            statistics.resyncs += 1
            for index in 0..<capacity { slots[index] = nil }
            start(at: sequence, arrivalNs: arrivalNs)
        } else if distance < 0 {
            if Int32(bitPattern: sequence &- highestSeen) < 0 { statistics.reordered += 1 }
            statistics.late += 1
            return
        }
        let slot = Int(sequence & UInt32(capacity - 1))
        if slots[slot] != nil {
            statistics.duplicates += 1
            return
        }
        if Int32(bitPattern: sequence &- highestSeen) < 0 { statistics.reordered += 1 } else { highestSeen = sequence }
        slots[slot] = frame

    }

    /// Forward-immediately and reorder modes' usual case, for a frame about to be ``insert(_:sequence:arrivalNs:)``ed:
    /// when it is the next in order and nothing is waiting (every frame of a healthy TCP call), it
    /// counts as inserted and released at once and the caller takes it as it is, with no copy into
    /// and out of a slot. The first frame of a stream starts it here. Returns false (and changes
    /// nothing) when the frame must be inserted.
    public mutating func releasesOnArrival(sequence: UInt32) -> Bool {
        guard forwards || reorderDepth != nil else { return false }
        if !started {
            started = true
            next = sequence
            highestSeen = sequence &- 1
        }
        guard sequence == next, highestSeen &+ 1 == next else { return false }
        statistics.received += 1
        statistics.released += 1
        statistics.currentDelayMs = 0
        highestSeen = sequence
        next &+= 1
        return true
    }

    /// The next frame (or concealment) due by `now`, or nil when nothing is due yet.
    ///
    /// ``Mode/forwardImmediately``: everything up to the newest arrival is due at once; over TCP
    /// nothing arrives out of order, so a gap will never be filled and is concealed right away.
    /// Adaptive: frames are due at their playout time; a missing one is concealed then, unless no
    /// later frame has arrived either (the sender may have paused: DTX, end of stream).
    public mutating func next(now: UInt64) -> Output? {
        guard started else { return nil }
        let ahead = Int32(bitPattern: highestSeen &- next)
        guard ahead >= 0 else { return nil }
        let sequence = next
        let slot = Int(sequence & UInt32(capacity - 1))
        if let reorderDepth {
            // Missing: wait for it until `depth` later frames are here.
            guard slots[slot] != nil || Int(ahead) >= reorderDepth else { return nil }
        } else if !forwards {
            adaptTarget(now: now)
            guard now >= playoutTime(of: next) else { return nil }
        }
        next &+= 1
        statistics.currentDelayMs = Int(ahead) * 20
        if let frame = slots[slot] {  // allocated: only `insert` makes `ahead` non-negative
            slots[slot] = nil
            statistics.released += 1
            return .frame(frame, sequence: sequence)
        }
        statistics.concealed += 1
        return .conceal(sequence: sequence)
    }

    private mutating func start(at sequence: UInt32, arrivalNs: UInt64) {
        started = true
        next = sequence
        highestSeen = sequence
        playoutBaseSequence = sequence
        fastestOffsetNs = Int64(arrivalNs)
    }

    private func playoutTime(of sequence: UInt32) -> UInt64 {
        let offset = Int64(Int32(bitPattern: sequence &- playoutBaseSequence)) * Int64(Self.frameNs)
        return UInt64(max(0, fastestOffsetNs + offset + Int64(targetMs) * 1_000_000))
    }

    /// Records how much later than the fastest frame this one arrived.
    private mutating func observeArrival(sequence: UInt32, arrivalNs: UInt64) {
        guard case .adaptive = mode else { return }
        let sendPositionNs = Int64(Int32(bitPattern: sequence &- playoutBaseSequence)) * Int64(Self.frameNs)
        let offset = Int64(arrivalNs) - sendPositionNs
        if offset < fastestOffsetNs {
            // A faster path than any seen: earlier frames' delays were understated by the difference,
            // and the target grows by as much, so playout times stay where they were.
            let shiftMs = Int((fastestOffsetNs - offset) / 1_000_000)
            delayHistogram.shift(byMs: shiftMs)
            targetMs += shiftMs
            fastestOffsetNs = offset
        }
        delayHistogram.add(delayNs: UInt64(offset - fastestOffsetNs))
    }

    private mutating func adaptTarget(now: UInt64) {
        guard case .adaptive(let minimum, let maximum) = mode, delayHistogram.hasData else { return }
        let wanted = min(max(delayHistogram.quantileMs(0.999) + 5, minimum.wholeMilliseconds), maximum.wholeMilliseconds)
        if wanted > targetMs {
            // More jitter: wait longer at once (frames still to come are late otherwise).
            targetMs = wanted
        } else if wanted < targetMs, now >= lastShrinkNs + 500_000_000 {
            // Less jitter: play 5 ms earlier, at most every half second, to avoid audible jumps.
            targetMs -= min(5, targetMs - wanted)
            lastShrinkNs = now
        }
        statistics.targetDelayMs = targetMs
    }
}

/// Arrival delays in 5 ms buckets (up to 400 ms) with exponential forgetting (a memory of
/// about 10 s at 50 frames/s), like NetEq's delay histogram. Fixed storage.
struct DelayHistogram: Sendable {
    private static let bucketCount = 80
    private static let bucketMs = 5
    private static let forgetting: Float = 0.998
    private var buckets: InlineArray<80, Float> = .init(repeating: 0)
    private(set) var hasData = false

    mutating func add(delayNs: UInt64) {
        let bucket = min(Int(delayNs / UInt64(Self.bucketMs * 1_000_000)), Self.bucketCount - 1)
        for index in 0..<Self.bucketCount { buckets[index] *= Self.forgetting }
        buckets[bucket] += 1 - Self.forgetting
        hasData = true
    }

    /// Moves all mass `ms` up (the reference point, the fastest arrival, moved earlier).
    mutating func shift(byMs ms: Int) {
        let steps = ms / Self.bucketMs
        guard steps > 0 else { return }
        let last = Self.bucketCount - 1
        var tail: Float = 0
        for from in max(0, last - steps)...last { tail += buckets[from] }
        for index in stride(from: last - 1, through: 0, by: -1) {
            buckets[index] = index - steps >= 0 ? buckets[index - steps] : 0
        }
        buckets[last] = tail
    }

    /// The smallest delay (ms, at a bucket's upper edge) that covers `quantile` of recent arrivals.
    func quantileMs(_ quantile: Float) -> Int {
        var total: Float = 0
        for index in 0..<Self.bucketCount { total += buckets[index] }
        var cumulative: Float = 0
        for index in 0..<Self.bucketCount {
            cumulative += buckets[index]
            if cumulative >= quantile * total { return (index + 1) * Self.bucketMs }
        }
        return Self.bucketCount * Self.bucketMs
    }
}
