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

    /// `frameBytes`: the bytes of 20 ms in the caller's encoding.
    init(socket: MediaStreamSocket, writer: Writer, frameBytes: Int, callLog: CallLog, metrics: RelayMetrics?) {
        self.socket = socket
        self.writer = writer
        self.callLog = callLog
        self.metrics = metrics
        self.audioFrameBytes = withUnsafeTemporaryAllocation(byteCount: frameBytes, alignment: 1) { payload in
            writer.frameBytes(of: .media(payload: UnsafeRawBufferPointer(payload)))
        } + writer.frameBytes(of: .mark(item: .max, offsetMs: .max))
    }

    func sendToCaller(_ frame: OutboundFrame, audio: UnsafeRawBufferPointer, mark wantsMark: Bool) {
        callLog.agentAudioSent(item: frame.item)
        if frame.itemArrivalNs != 0 {
            // A response's first frame: how long its first model audio was in the relay.
            metrics?.outboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- frame.itemArrivalNs)))
        }
        // The media frame and its mark, if any, in one buffer: one write, one flush.
        let buffer = ThreadWriteBuffer.compose(capacity: audioFrameBytes, allocator: socket.allocator) { buffer in
            writer.appendFrame(.media(payload: audio), to: &buffer)
            if wantsMark { writer.appendFrame(.mark(item: frame.item, offsetMs: frame.endOffsetMs), to: &buffer) }
        }
        if !socket.sendAudio(buffer) { metrics?.agentFramesDropped.increment() }
    }
}
