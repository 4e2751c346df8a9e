/// A carrier's media-stream messages read into the relay's carrier-neutral ``MediaStreamMessage``:
/// the stream's state machine, call and pipeline never see which carrier framed them.
public protocol MediaStreamReader: Sendable {
    /// Parses one text frame. `payload` receives a media message's audio; when `streamSid` is
    /// given, a message naming another stream is refused.
    func parse(_ message: UnsafeRawBufferPointer, payload: UnsafeMutableRawBufferPointer,
               streamSid: UnsafeRawBufferPointer?) throws(MediaStreamProtocolError) -> MediaStreamMessage
}
