import AudioPipeline
import NIOCore
import Wire

/// Where paced agent audio leaves the call: each released frame becomes a media message (and
/// every few frames a mark) in the carrier's terms, written to the stream's socket right away,
/// on the thread that released it: the model socket's event loop (the usual case, the same loop
/// as the stream's socket) or the pacing clock. It keeps no state and calls nothing back: what
/// it measures travels on the frame.
final class CarrierAudioSink<Writer: MediaStreamComposer>: CallerAudioSink {
    private let socket: MediaStreamSocket
    private let writer: Writer
    private let callLog: CallLog
    private let metrics: RelayMetrics?
    /// Room for a media frame and the longest mark: every frame's buffer is sized once, here.
    private let audioFrameBytes: Int

    init(socket: MediaStreamSocket, writer: Writer, callLog: CallLog, metrics: RelayMetrics?) {
        self.socket = socket
        self.writer = writer
        self.callLog = callLog
        self.metrics = metrics
        self.audioFrameBytes = withUnsafeTemporaryAllocation(byteCount: OutboundFrame.payloadBytes, alignment: 1) { payload in
            writer.frameBytes(of: .media(payload: UnsafeRawBufferPointer(payload)))
        } + writer.frameBytes(of: .mark(item: .max, offsetMs: .max))
    }

    func sendToCaller(_ frame: OutboundFrame, mark wantsMark: Bool) {
        callLog.agentAudioSent(item: frame.item)
        if frame.itemArrivalNs != 0 {
            // A response's first frame: how long its first model audio was in the relay.
            metrics?.outboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- frame.itemArrivalNs)))
        }
        // The media frame and its mark, if any, in one buffer: one write, one flush.
        let sent = withUnsafeBytes(of: frame.payload) { payload in
            let media = OutgoingMediaMessage.media(payload: payload)
            let buffer = ThreadWriteBuffer.compose(capacity: audioFrameBytes, allocator: socket.allocator) { buffer in
                writer.appendFrame(media, to: &buffer)
                if wantsMark { writer.appendFrame(.mark(item: frame.item, offsetMs: frame.endOffsetMs), to: &buffer) }
            }
            return socket.sendAudio(buffer)
        }
        if !sent { metrics?.agentFramesDropped.increment() }
    }
}
