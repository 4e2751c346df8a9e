import AudioPipeline
import Wire

/// A carrier's media stream as the relay's stream handler sees it: how its messages are read and
/// written, which audio it carries, and how it ends a call. Everything past this seam (the
/// stream's state machine, the call, its pipeline, barge-in, records) is the same for every carrier.
protocol CarrierStream: Sendable {
    associatedtype Reader: MediaStreamReader
    associatedtype Writer: MediaStreamComposer

    /// The carrier's name in logs, records and metrics (`twilio`, `plivo`).
    var name: String { get }
    var reader: Reader { get }
    /// The writer of a stream that started with `start`; throws a closure for a stream it cannot answer.
    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> Writer
    /// Whether the carrier says `stop` before it closes: one that does not (Plivo) ends a call by
    /// closing the socket, which is then a completed call rather than a dropped one.
    var sendsStop: Bool { get }
    /// Whether caller audio comes bare in binary frames (Vonage), rather than in text messages
    /// the reader parses; a carrier that does not send them has its binary frames refused.
    var sendsAudioInBinaryFrames: Bool { get }
    /// The encoding a stream of this format carries, or nil if the relay does not take it.
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding?
    /// The stream's `start` in the terms the call reads it in (tenant and caller as the
    /// webhook named them); most carriers' need nothing.
    func normalized(_ start: MediaStreamStart) -> MediaStreamStart
}

extension CarrierStream {
    var sendsAudioInBinaryFrames: Bool { false }
    func normalized(_ start: MediaStreamStart) -> MediaStreamStart { start }
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding? { format.muLawEncoding }
}
