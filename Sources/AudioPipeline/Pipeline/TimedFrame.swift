/// A network frame as it crosses the inbound ring: the frame, its sequence number and when it arrived.
public struct TimedFrame<Frame: BitwiseCopyable & Sendable>: BitwiseCopyable, Sendable {
    public var frame: Frame
    public var sequence: UInt32
    public var arrivalNs: UInt64

    public init(frame: Frame, sequence: UInt32, arrivalNs: UInt64) {
        self.frame = frame
        self.sequence = sequence
        self.arrivalNs = arrivalNs
    }
}

/// Twilio's echo of a `mark`: playback reached `offsetMs` of `item`.
public struct MarkEcho: BitwiseCopyable, Sendable {
    public var item: UInt32
    public var offsetMs: UInt32
    public init(item: UInt32, offsetMs: UInt32) {
        self.item = item
        self.offsetMs = offsetMs
    }
}
