import Atomics
import NIOCore
import Wire

/// One Twilio caller of a load run, on the generator's event loop: after the upgrade it sends
/// `connected` and `start`, then (driven by ``CallerFleet``) a 20 ms `media` frame of mu-law
/// silence in real time, exactly as Twilio frames them; it echoes the relay's marks as Twilio
/// does once audio has played, and stamps every model frame it receives in its ``CallTimeline``.
final class SimulatedCaller: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// 160 bytes of mu-law silence (0xFF), base64-encoded.
    private static let silence = Array((String(repeating: "/", count: 212) + "/w==").utf8)

    let timeline: CallTimeline
    let streamSid: String
    private let statistics: CallerStatistics
    private let recording: ManagedAtomic<Bool>
    private let ready: (SimulatedCaller) -> Void
    private var context: ChannelHandlerContext?
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 20)
    private var frames = WebSocketFrameWriter.client()
    /// A media message is composed here, then framed (and masked) into the buffer sent.
    private var message = ByteBuffer()
    private var sequence = 1
    /// When the next media frame is due (monotonic ns).
    var nextFrameNs: UInt64 = 0
    private(set) var isOpen = false
    private var closing = false

    init(timeline: CallTimeline, statistics: CallerStatistics, recording: ManagedAtomic<Bool>,
         ready: @escaping (SimulatedCaller) -> Void) {
        self.timeline = timeline
        self.streamSid = "MZload" + String(timeline.index, radix: 10).leftPadded(to: 26)
        self.statistics = statistics
        self.recording = recording
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isOpen = true
        ready(self)
    }

    /// Sends `connected` and `start`, and the first frame at once (the relay opens its model
    /// session on `start`, and the first audio tells the model stand-in which call it serves).
    /// The CallSid of call `index`, in the webhook and in the stream's `start`.
    static func callSid(index: Int) -> String { "CA" + String(index).leftPadded(to: 32) }

    func begin(now: UInt64) {
        let callSid = Self.callSid(index: timeline.index)
        send(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        send(#"{"event":"start","sequenceNumber":"\#(sequence)","start":{"accountSid":"ACload","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":{"callSid":"\#(callSid)","tenant":"+15550100"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"\#(streamSid)"}"#)
        sequence += 1
        nextFrameNs = now
        sendDueFrames(now: now)
    }

    /// Sends every frame due by `now` (more than one only if the generator fell behind).
    func sendDueFrames(now: UInt64) {
        guard isOpen, !closing, let context else { return }
        while nextFrameNs <= now {
            nextFrameNs += 20_000_000
            guard context.channel.isWritable else {
                timeline.callerFramesHeldBack.wrappingIncrement(ordering: .relaxed)
                continue
            }
            let chunk = timeline.callerFramesSent.load(ordering: .relaxed) + 1
            message.clear()
            message.writeStaticString(#"{"event":"media","sequenceNumber":""#)
            message.writeString(String(sequence))
            message.writeStaticString(#"","media":{"track":"inbound","chunk":""#)
            message.writeString(String(chunk))
            message.writeStaticString(#"","timestamp":""#)
            message.writeString(String((chunk - 1) * 20))
            message.writeStaticString(#"","payload":""#)
            message.writeBytes(Self.silence)
            message.writeStaticString(#""},"streamSid":""#)
            message.writeString(streamSid)
            message.writeStaticString(#""}"#)
            sequence += 1
            timeline.callerSent(at: NIODeadline.now().uptimeNanoseconds)
            let frame = message.withUnsafeReadableBytes { frames.frame(.text, payload: $0, allocator: context.channel.allocator) }
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }

    /// Ends the call as Twilio does when the caller hangs up: `stop`, then a normal close.
    func hangUp() {
        guard isOpen, !closing, let context else { return }
        closing = true
        send(#"{"event":"stop","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","stop":{"accountSid":"ACload","callSid":"CAload"}}"#)
        context.writeAndFlush(wrapOutboundOut(frames.close(code: 1000, allocator: context.channel.allocator)), promise: nil)
    }

    /// Stops sending audio but keeps the call up (so what is in flight can arrive).
    func pause() { closing = true }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                switch frame.opcode {
                case .text:
                    receive(frame.payload, context: context)
                case .close:
                    if !closing { statistics.closedByRelay += 1 }
                    isOpen = false
                    context.close(promise: nil)
                    return false
                case .ping:
                    write(.pong, Array(frame.payload))
                case .binary, .continuation, .pong:
                    break
                }
                return true
            }
        } catch {
            statistics.errors += 1
            context.close(promise: nil)
        }
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        guard let (fields, scanner) = try? MediaStreamFields.scan(bytes), let event = fields.event else {
            statistics.malformedMedia += 1
            return
        }
        if scanner.matches(event, "media") {
            let now = NIODeadline.now().uptimeNanoseconds
            if fields.payload?.range.count != Self.silence.count { statistics.malformedMedia += 1 }
            if let latency = timeline.callerReceived(at: now), recording.load(ordering: .relaxed) {
                statistics.outbound.record(ns: latency)
            }
        } else if scanner.matches(event, "mark"), let name = fields.markName {
            statistics.marks += 1
            let label = String(decoding: scanner.slice(name), as: UTF8.self)
            send(#"{"event":"mark","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","mark":{"name":"\#(label)"}}"#)
            sequence += 1
        } else if scanner.matches(event, "clear") {
            statistics.clears += 1
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if isOpen, !closing { statistics.closedByRelay += 1 }
        isOpen = false
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        statistics.errors += 1
        context.close(promise: nil)
    }

    private func send(_ text: String) {
        write(.text, Array(text.utf8))
    }

    private func write(_ opcode: FrameOpcode, _ payload: [UInt8]) {
        guard let context else { return }
        let frame = payload.withUnsafeBytes { frames.frame(opcode, payload: $0, allocator: context.channel.allocator) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

/// What the callers saw; confined to the generator's loop.
final class CallerStatistics {
    struct Snapshot: Sendable {
        var outbound: LatencyHistogram
        var marks: Int
        var clears: Int
        var closedByRelay: Int
        var errors: Int
        var malformedMedia: Int
        var open: Int
        var threadCPUSeconds: Double
        var lateTicks: Int
    }

    var outbound = LatencyHistogram()
    var marks = 0
    var clears = 0
    var closedByRelay = 0
    var errors = 0
    var malformedMedia = 0
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
