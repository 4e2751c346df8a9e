/// The outbound queue of one call: ``OutboundFrame`` headers in an ``SPSCRingBuffer``, and the
/// frames' audio beside them in a slab sized for the call's encoding (160 bytes a frame for G.711,
/// 640 for 16 kHz linear PCM, room for the largest packet for Opus; the header says how much of
/// its slot a frame fills), so a narrowband call pays for no wideband buffer.
///
/// The producer (the model reader's ``OutboundPath``) copies a frame's audio into the slab slot
/// after the last one it pushed, then pushes the header naming that slot; the consumer (the
/// playout) pops a header and reads its audio in place until it pops the next. The slab has one
/// slot more than the ring: with the ring full, the producer's next slot is still not the one
/// the consumer is reading.
///
/// `@unchecked Sendable` like the ring: `nextSlot` is the producer's alone, and a slot's bytes
/// are published and handed back by the ring's own acquire/release positions.
public final class OutboundFrameRing: @unchecked Sendable {
    public let encoding: CallerAudioEncoding
    private let headers: SPSCRingBuffer<OutboundFrame>
    private let slab: UnsafeMutableRawBufferPointer
    private let frameBytes: Int
    private let slots: Int
    private var nextSlot = 0

    public init(minimumCapacity: Int, encoding: CallerAudioEncoding) {
        self.encoding = encoding
        headers = SPSCRingBuffer(minimumCapacity: minimumCapacity)
        frameBytes = encoding.bytesPerFrame
        slots = headers.capacity + 1
        slab = .allocate(byteCount: slots * frameBytes, alignment: 8)
        slab.initializeMemory(as: UInt8.self, repeating: encoding.silenceByte)
    }

    deinit { slab.deallocate() }

    /// Frames waiting (either side's snapshot).
    public var count: Int { headers.count }

    /// Queues a frame and its audio (at most a slot's bytes); false when the ring is full (producer only).
    public func push(_ frame: OutboundFrame, audio: UnsafeRawBufferPointer) -> Bool {
        guard headers.count < headers.capacity else { return false }
        var frame = frame
        frame.slot = UInt32(nextSlot)
        frame.byteCount = UInt16(min(audio.count, frameBytes))
        let destination = slab.baseAddress! + nextSlot * frameBytes
        destination.copyMemory(from: audio.baseAddress!, byteCount: Int(frame.byteCount))
        guard headers.push(frame) else { return false }
        nextSlot = nextSlot + 1 == slots ? 0 : nextSlot + 1
        return true
    }

    /// The oldest frame, if any (consumer only); its audio is ``audio(of:)`` until the next pop.
    public func pop() -> OutboundFrame? { headers.pop() }

    /// The audio of a frame just popped.
    public func audio(of frame: OutboundFrame) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slab.baseAddress! + Int(frame.slot) * frameBytes, count: Int(frame.byteCount))
    }
}
