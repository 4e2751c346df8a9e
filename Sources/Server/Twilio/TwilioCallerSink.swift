import AudioPipeline
import NIOCore

/// Where paced agent audio leaves the call: each released frame becomes a `media` message (and
/// every few frames a `mark`) written to the Twilio socket right away, on the thread that
/// released it: the model socket's event loop (the usual case, the same loop as the Twilio
/// socket) or the pacing clock.
///
/// `@unchecked Sendable`: the writer's buffer and `lastItem` are touched only from
/// ``sendToCaller(_:mark:)``, which the call's playout calls from one thread at a time.
final class TwilioCallerSink: CallerAudioSink, @unchecked Sendable {
    private let socket: TwilioSocket
    private var writer: MediaStreamWriter
    private let callLog: CallLog
    private let modelBridge: ModelBridge
    private let metrics: RelayMetrics?
    private var lastItem: UInt32?

    init(socket: TwilioSocket, writer: MediaStreamWriter, callLog: CallLog, modelBridge: ModelBridge, metrics: RelayMetrics?) {
        self.socket = socket
        self.writer = writer
        self.callLog = callLog
        self.modelBridge = modelBridge
        self.metrics = metrics
    }

    func sendToCaller(_ frame: OutboundFrame, mark: Bool) {
        callLog.agentAudioSent(item: frame.item)
        if frame.item != lastItem {
            // Only a response's first frame reads the time its first model audio arrived.
            lastItem = frame.item
            if let arrival = modelBridge.takeFirstAudioArrival(item: frame.item) {
                metrics?.outboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- arrival)))
            }
        }
        let allocator = socket.allocator
        let media = withUnsafeBytes(of: frame.payload) { payload in
            writer.media(payload) { bytes in
                var buffer = allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                return buffer
            }
        }
        let markMessage = mark ? writer.mark(item: frame.item, offsetMs: frame.endOffsetMs) { allocator.buffer(bytes: $0) } : nil
        if !socket.sendAudio(media, mark: markMessage) { metrics?.agentFramesDropped.increment() }
    }
}
