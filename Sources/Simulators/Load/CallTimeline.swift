import Atomics

/// When each 20 ms frame of one simulated call left one end, so the other end can tell how long
/// the relay took with it: the generator stamps caller frames, the model stand-in stamps its
/// replies, and each side reads the other's stamps by frame number.
///
/// The two ends run on different threads. Each direction has one writer, which stores a stamp and
/// then publishes the new count with release ordering; the reader loads the count with acquire
/// ordering and only reads stamps below it. A stamp's slot is reused after ``slots`` frames
/// (20 s), long after it was read. `@unchecked Sendable` for the raw stamp storage under that rule.
final class CallTimeline: @unchecked Sendable {
    static let slots = 1024
    private static let mask = slots - 1

    let index: Int
    private let callerStamps = UnsafeMutablePointer<UInt64>.allocate(capacity: slots)
    private let modelStamps = UnsafeMutablePointer<UInt64>.allocate(capacity: slots)
    /// Caller frames sent by the generator, and audio frames the model stand-in sent back.
    let callerFramesSent = ManagedAtomic<Int>(0)
    let modelFramesSent = ManagedAtomic<Int>(0)
    /// Caller frames that reached the model stand-in, and model frames that reached the caller.
    let modelFramesReceived = ManagedAtomic<Int>(0)
    let callerFramesReceived = ManagedAtomic<Int>(0)
    /// Frames an end did not send because the relay had stopped reading that socket (its write
    /// buffer over NIO's high water mark): neither stamped nor counted as sent, so the matching
    /// stays in step, and the generator's memory stays bounded against a relay that cannot keep up.
    let callerFramesHeldBack = ManagedAtomic<Int>(0)
    let modelFramesHeldBack = ManagedAtomic<Int>(0)

    init(index: Int) {
        self.index = index
        callerStamps.initialize(repeating: 0, count: Self.slots)
        modelStamps.initialize(repeating: 0, count: Self.slots)
    }

    deinit {
        callerStamps.deallocate()
        modelStamps.deallocate()
    }

    /// The generator sent caller frame number `callerFramesSent` at `ns` (generator thread only).
    func callerSent(at ns: UInt64) {
        let frame = callerFramesSent.load(ordering: .relaxed)
        callerStamps[frame & Self.mask] = ns
        callerFramesSent.store(frame + 1, ordering: .releasing)
    }

    /// The model stand-in sent its reply frame number `modelFramesSent` at `ns` (model thread only).
    func modelSent(at ns: UInt64) {
        let frame = modelFramesSent.load(ordering: .relaxed)
        modelStamps[frame & Self.mask] = ns
        modelFramesSent.store(frame + 1, ordering: .releasing)
    }

    /// The next caller frame reached the model at `ns`: how long it took, if its stamp is known (model thread only).
    func modelReceived(at ns: UInt64) -> UInt64? {
        let frame = modelFramesReceived.load(ordering: .relaxed)
        modelFramesReceived.store(frame + 1, ordering: .relaxed)
        guard frame < callerFramesSent.load(ordering: .acquiring) else { return nil }
        let sent = callerStamps[frame & Self.mask]
        return ns >= sent ? ns - sent : 0
    }

    /// The next model frame reached the caller at `ns`: how long it took, if its stamp is known (generator thread only).
    func callerReceived(at ns: UInt64) -> UInt64? {
        let frame = callerFramesReceived.load(ordering: .relaxed)
        callerFramesReceived.store(frame + 1, ordering: .relaxed)
        guard frame < modelFramesSent.load(ordering: .acquiring) else { return nil }
        let sent = modelStamps[frame & Self.mask]
        return ns >= sent ? ns - sent : 0
    }
}
