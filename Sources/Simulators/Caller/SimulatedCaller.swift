import Atomics
import Foundation
import NIOCore
import Wire

/// A carrier's side of one media stream (Twilio's, Plivo's, Telnyx's or Vonage's:
/// ``StreamStart/carrier``), framed by hand on a raw NIO channel: after the upgrade it sends the
/// carrier's opening messages, then 20 ms of audio every 20 ms, exactly as the carrier frames it
/// (a `media` message, or Vonage's bare binary frame), key presses as the carrier's `dtmf`, and on
/// hanging up Twilio's or Telnyx's `stop` (Plivo and Vonage just close); it answers pings and the
/// close handshake.
///
/// It plays one of two roles. A **scripted** caller (``CallSimulator``: `dial`, the end-to-end
/// and conversation tests) follows a ``CallerScript`` on its own 5 ms timer, plays the agent's audio
/// as Twilio would (``CallerPlayback``), echoes marks as its ``MarkEcho`` says, and hands its
/// ``CallerRecording`` over when the stream closes. A **load** caller (``LoadGenerator``) sends mu-law
/// silence when ``CallerFleet`` finds its frames due, echoes marks at once, decodes nothing, and
/// stamps every frame in its ``CallTimeline``.
final class SimulatedCaller: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What a load caller reports to its run.
    struct LoadTap {
        let timeline: CallTimeline
        let carrier: SimulatedCarrier
        let audio: CallerAudioFormat
        let statistics: CallerStatistics
        let recording: ManagedAtomic<Bool>
        /// Called once the stream is open, to add the caller to the fleet.
        let ready: (SimulatedCaller) -> Void
    }

    /// A frame of silence in the stream's format, as a `media` message carries it (base64; raw for Vonage).
    private let silence: [UInt8]
    private var audio: CallerAudioConverter
    private static let frameNs: UInt64 = 20_000_000

    let start: StreamStart
    private let load: LoadTap?
    private var script: CallerScriptCursor?
    private let markEcho: MarkEcho
    private var playback = CallerPlayback()
    private var finished: EventLoopPromise<CallerRecording>?

    private var context: ChannelHandlerContext?
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 20)
    private var frames = WebSocketFrameWriter.client()
    /// A media message is composed here, then framed (and masked) into the buffer sent.
    private var message = ByteBuffer()
    private var encoded = [UInt8](repeating: 0, count: Base64.encodedLength(of: 640))
    private var decoded = [UInt8](repeating: 0, count: 4096)
    private var sequence = 1
    private var chunk = 0
    private var startNs: UInt64 = 0
    /// When the next media frame is due (monotonic ns).
    var nextFrameNs: UInt64 = 0
    private(set) var isOpen = false
    private var closing = false
    private var sentClose = false
    private var ticker: RepeatedTask?

    /// A load run's caller.
    init(load: LoadTap) {
        self.start = StreamStart.load(index: load.timeline.index, carrier: load.carrier, audio: load.audio)
        self.load = load
        self.silence = start.carrier == .vonage ? start.audio.silence : start.audio.silenceBase64
        self.audio = CallerAudioConverter(format: start.audio)
        self.markEcho = .atOnce
    }

    /// A caller that follows `script` and completes `finished` with what it heard when the stream closes.
    init(start: StreamStart, script: CallerScript, markEcho: MarkEcho, finished: EventLoopPromise<CallerRecording>) {
        self.start = start
        self.load = nil
        self.silence = start.carrier == .vonage ? start.audio.silence : start.audio.silenceBase64
        self.audio = CallerAudioConverter(format: start.audio)
        self.script = CallerScriptCursor(script)
        self.markEcho = markEcho
        self.finished = finished
        playback.recording.callSid = start.callSid
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isOpen = true
        if let load {
            load.ready(self)
        } else {
            begin(now: NIODeadline.now().uptimeNanoseconds)
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { _ in
                bound.value.tick()
            }
        }
    }

    /// Sends `connected` and `start`, and the first frame at once (the relay opens or adopts its
    /// model session on `start`, and a load run's first audio tells the model stand-in which call it serves).
    func begin(now: UInt64) {
        for text in start.openingMessages() { send(text) }
        sequence = 2
        startNs = now
        nextFrameNs = now
        sendDueFrames(now: now)
    }

    /// A scripted caller's clock: frames that came due, and marks that playback reached.
    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        sendDueFrames(now: now)
        guard markEcho == .whenPlayed, isOpen else { return }
        for name in playback.marksPlayed(byMs: milliseconds(now)) { echoMark(name) }
    }

    /// Sends every frame due by `now` (more than one only if the caller's loop fell behind).
    func sendDueFrames(now: UInt64) {
        guard isOpen, !closing, let context else { return }
        while nextFrameNs <= now, !closing {
            nextFrameNs += Self.frameNs
            guard script != nil else {
                guard context.channel.isWritable else {
                    load?.timeline.callerFramesHeldBack.wrappingIncrement(ordering: .relaxed)
                    continue
                }
                silence.withUnsafeBytes { sendMedia(payload: $0) }
                continue
            }
            nextAction: while true {
                switch script!.next(nowMs: milliseconds(now), heard: &playback) {
                case .pressKey(let key):
                    switch start.carrier {
                    case .twilio:
                        send(#"{"event":"dtmf","streamSid":"\#(start.streamSid)","sequenceNumber":"\#(sequence)","dtmf":{"track":"inbound_track","digit":"\#(key)"}}"#)
                    case .plivo:
                        send(#"{"event":"dtmf","sequenceNumber":\#(sequence),"streamId":"\#(start.streamSid)","dtmf":{"digit":"\#(key)","track":"inbound","timestamp":"\#(wallClockMs)"}}"#)
                    case .telnyx:
                        send(#"{"event":"dtmf","stream_id":"\#(start.streamSid)","occurred_at":"2026-12-03T08:00:00.000Z","sequence_number":"\#(sequence)","dtmf":{"digit":"\#(key)"}}"#)
                    case .vonage:
                        send(#"{"event":"websocket:dtmf","digit":"\#(key)","duration":260}"#)
                    }
                    sequence += 1
                case .frame(let codes):
                    let bytes = audio.outgoing(muLaw: codes)
                    if start.carrier == .vonage {
                        bytes.withUnsafeBytes { sendMedia(payload: $0) }
                        break nextAction
                    }
                    let count = bytes.withUnsafeBytes { input in encoded.withUnsafeMutableBytes { Base64.encode(input, into: $0) } }
                    encoded.withUnsafeBytes { sendMedia(payload: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    break nextAction
                case .hangUp:
                    hangUp()
                    break nextAction
                }
            }
        }
    }

    /// Sends one frame of audio: `payload` is base64 for the carriers that send JSON, raw PCM for
    /// Vonage (a binary frame, nothing around it).
    private func sendMedia(payload: UnsafeRawBufferPointer) {
        guard let context else { return }
        chunk += 1
        message.clear()
        var opcode = FrameOpcode.text
        switch start.carrier {
        case .vonage:
            message.writeBytes(payload)
            opcode = .binary
        case .twilio, .telnyx:
            // The same message under Twilio's and Telnyx's (snake_case) names.
            let twilio = start.carrier == .twilio
            message.writeStaticString(twilio ? #"{"event":"media","sequenceNumber":""# : #"{"event":"media","sequence_number":""#)
            message.writeString(String(sequence))
            message.writeStaticString(#"","media":{"track":"inbound","chunk":""#)
            message.writeString(String(chunk))
            message.writeStaticString(#"","timestamp":""#)
            message.writeString(String((chunk - 1) * 20))
            message.writeStaticString(#"","payload":""#)
            message.writeBytes(payload)
            message.writeStaticString(twilio ? #""},"streamSid":""# : #""},"stream_id":""#)
            message.writeString(start.streamSid)
            message.writeStaticString(#""}"#)
        case .plivo:
            // Plivo: numbers as numbers, wall-clock timestamps, `streamId`, `extra_headers` on every message.
            message.writeStaticString(#"{"event":"media","sequenceNumber":"#)
            message.writeString(String(sequence))
            message.writeStaticString(#","streamId":""#)
            message.writeString(start.streamSid)
            message.writeStaticString(#"","media":{"track":"inbound","timestamp":""#)
            message.writeString(String(wallClockMs))
            message.writeStaticString(#"","chunk":"#)
            message.writeString(String(chunk))
            message.writeStaticString(#","payload":""#)
            message.writeBytes(payload)
            message.writeStaticString(#""},"extra_headers":""#)
            message.writeString(start.plivoExtraHeaders)
            message.writeStaticString(#""}"#)
        }
        sequence += 1
        load?.timeline.callerSent(at: NIODeadline.now().uptimeNanoseconds)
        let frame = message.withUnsafeReadableBytes { frames.frame(opcode, payload: $0, allocator: context.channel.allocator) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// Hangs up as Twilio does: `stop`, then the relay closes the stream (a load caller, whose run
    /// is ending, closes at once; a scripted one waits up to 10 s for the relay, so what the relay
    /// still sends is heard).
    func hangUp() {
        guard isOpen, !closing, let context else { return }
        closing = true
        switch start.carrier {
        case .twilio:
            send(#"{"event":"stop","sequenceNumber":"\#(sequence)","streamSid":"\#(start.streamSid)","stop":{"accountSid":"\#(start.accountSid)","callSid":"\#(start.callSid)"}}"#)
        case .telnyx:
            send(#"{"event":"stop","sequence_number":"\#(sequence)","stop":{"user_id":"\#(start.accountSid)","call_control_id":"\#(start.callSid)"},"stream_id":"\#(start.streamSid)"}"#)
        case .plivo, .vonage:
            // Plivo and Vonage say nothing: they close the socket.
            sendClose()
        }
        if load != nil {
            sendClose()
        } else {
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .seconds(10)) {
                bound.value.sendClose()
                bound.value.context?.close(promise: nil)
            }
        }
    }

    /// Stops sending audio but keeps the call up (so what is in flight can arrive).
    func pause() { closing = true }

    private func sendClose() {
        guard let context, !sentClose else { return }
        sentClose = true
        context.writeAndFlush(wrapOutboundOut(frames.close(code: 1000, allocator: context.channel.allocator)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                switch frame.opcode {
                case .text:
                    receive(frame.payload)
                case .close:
                    if !closing { load?.statistics.closedByRelay += 1 }
                    if frame.payload.count > 2 {
                        playback.recording.closeReason = String(decoding: UnsafeRawBufferPointer(rebasing: frame.payload[2...]), as: UTF8.self)
                    }
                    sendClose()
                    isOpen = false
                    context.close(promise: nil)
                    return false
                case .ping:
                    write(.pong, Array(frame.payload))
                case .binary where start.carrier == .vonage:
                    heard(audio: frame.payload)
                case .binary, .continuation, .pong:
                    if load == nil { playback.recording.unexpectedMessages.append("\(frame.opcode) frame") }
                }
                return true
            }
        } catch {
            load?.statistics.errors += 1
            if load == nil { playback.recording.unexpectedMessages.append("bad frame: \(error)") }
            context.close(promise: nil)
        }
    }

    /// What the relay sent, in the caller's terms.
    private enum Heard {
        /// Base64 audio in a JSON message (Vonage's comes in binary frames instead).
        case media(JSONScanner.StringValue)
        case mark(JSONScanner.StringValue)
        case clear
        case other
    }

    /// Reads a relay message as the carrier would: its names, its stream id.
    private func classify(_ bytes: UnsafeRawBufferPointer) -> (Heard, JSONScanner)? {
        let expectedId = start.streamSid.utf8
        switch start.carrier {
        case .twilio:
            guard let (fields, scanner) = try? MediaStreamFields.scan(bytes), let event = fields.event,
                  fields.streamSid.map({ scanner.slice($0).elementsEqual(expectedId) }) ?? false else { return nil }
            if scanner.matches(event, "media"), let payload = fields.payload { return (.media(payload), scanner) }
            if scanner.matches(event, "mark"), let name = fields.markName { return (.mark(name), scanner) }
            return (scanner.matches(event, "clear") ? .clear : .other, scanner)
        case .plivo:
            guard let (fields, scanner) = try? PlivoStreamFields.scan(bytes), let event = fields.event,
                  fields.streamId.map({ scanner.slice($0).elementsEqual(expectedId) }) ?? false else { return nil }
            if scanner.matches(event, "playAudio"), let payload = fields.payload { return (.media(payload), scanner) }
            if scanner.matches(event, "checkpoint"), let name = fields.name { return (.mark(name), scanner) }
            return (scanner.matches(event, "clearAudio") ? .clear : .other, scanner)
        case .telnyx:
            // Telnyx's commands name no stream (the socket does); one that names another is wrong.
            guard let (fields, scanner) = try? TelnyxStreamFields.scan(bytes), let event = fields.event,
                  fields.streamId.map({ scanner.slice($0).elementsEqual(expectedId) }) ?? true else { return nil }
            if scanner.matches(event, "media"), let payload = fields.payload { return (.media(payload), scanner) }
            if scanner.matches(event, "mark"), let name = fields.markName { return (.mark(name), scanner) }
            return (scanner.matches(event, "clear") ? .clear : .other, scanner)
        case .vonage:
            // Commands, not events: `notify` (a mark), `clear`.
            guard let (fields, scanner) = try? VonageStreamFields.scan(bytes), let action = fields.action else { return nil }
            if scanner.matches(action, "notify"), let name = fields.markName { return (.mark(name), scanner) }
            return (scanner.matches(action, "clear") ? .clear : .other, scanner)
        }
    }

    /// A frame of agent audio in the stream's own format.
    private func heard(audio bytes: UnsafeRawBufferPointer) {
        let now = NIODeadline.now().uptimeNanoseconds
        if let load {
            if bytes.count != start.audio.frameBytes ?? bytes.count { load.statistics.malformedMedia += 1 }
            if let latency = load.timeline.callerReceived(at: now), load.recording.load(ordering: .relaxed) {
                load.statistics.outbound.record(ns: latency)
            }
            return
        }
        let linear = audio.incoming(bytes)
        playback.media(linear, byteCount: bytes.count, atMs: milliseconds(now))
    }

    private func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let (heard, scanner) = classify(bytes) else {
            load?.statistics.malformedMedia += 1
            unexpected(bytes)
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        switch heard {
        case .media(let payload):
            if let load {
                if start.audio.frameBytes != nil, payload.range.count != silence.count { load.statistics.malformedMedia += 1 }
                if let latency = load.timeline.callerReceived(at: now), load.recording.load(ordering: .relaxed) {
                    load.statistics.outbound.record(ns: latency)
                }
                return
            }
            if decoded.count < payload.range.count { decoded = [UInt8](repeating: 0, count: payload.range.count) }
            guard let count = decoded.withUnsafeMutableBytes({ try? Base64.decode(scanner.slice(payload), into: $0) }) else {
                unexpected(bytes)
                return
            }
            let linear = decoded.withUnsafeBytes { audio.incoming(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            playback.media(linear, byteCount: count, atMs: milliseconds(now))
        case .mark(let name):
            let label = String(decoding: scanner.slice(name), as: UTF8.self)
            if let load {
                load.statistics.marks += 1
                echoMark(label)
                return
            }
            playback.mark(label, atMs: milliseconds(now))
            if markEcho == .atOnce {
                for name in playback.marksPlayed(byMs: .infinity) { echoMark(name) }
            }
        case .clear:
            if let load { load.statistics.clears += 1 } else { playback.clear(atMs: milliseconds(now)) }
            if start.carrier == .plivo { send(#"{"event":"clearedAudio","sequenceNumber":\#(sequence),"streamId":"\#(start.streamSid)"}"#) }
            if start.carrier == .vonage { send(#"{"event":"websocket:cleared"}"#) }
        case .other:
            unexpected(bytes)
        }
    }

    private func unexpected(_ bytes: UnsafeRawBufferPointer) {
        guard load == nil else { return }
        playback.recording.unexpectedMessages.append(String(decoding: bytes.prefix(80), as: UTF8.self))
    }

    private func echoMark(_ name: String) {
        switch start.carrier {
        case .twilio:
            send(#"{"event":"mark","sequenceNumber":"\#(sequence)","streamSid":"\#(start.streamSid)","mark":{"name":"\#(name)"}}"#)
        case .plivo:
            send(#"{"event":"playedStream","sequenceNumber":\#(sequence),"streamId":"\#(start.streamSid)","name":"\#(name)"}"#)
        case .telnyx:
            send(#"{"event":"mark","sequence_number":"\#(sequence)","stream_id":"\#(start.streamSid)","mark":{"name":"\#(name)"}}"#)
        case .vonage:
            send(#"{"event":"websocket:notify","payload":{"mark":"\#(name)"}}"#)
        }
        sequence += 1
    }

    private var wallClockMs: Int { Int(Date().timeIntervalSince1970 * 1000) }

    private func milliseconds(_ ns: UInt64) -> Double { Double(ns &- startNs) / 1e6 }

    func channelInactive(context: ChannelHandlerContext) {
        if isOpen, !closing { load?.statistics.closedByRelay += 1 }
        isOpen = false
        ticker?.cancel()
        ticker = nil
        self.context = nil
        finish(.success(playback.recording))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        load?.statistics.errors += 1
        finish(.failure(error))
        context.close(promise: nil)
    }

    /// Completes a scripted call, once.
    func finish(_ result: Result<CallerRecording, any Error>) {
        guard let finished else { return }
        self.finished = nil
        finished.completeWith(result)
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

/// The carriers a simulated caller can play.
public enum SimulatedCarrier: String, Sendable, CaseIterable {
    case twilio
    case plivo
    case telnyx
    case vonage
}

/// The stream a caller opens: what its `start` message says.
public struct StreamStart: Sendable {
    public var carrier: SimulatedCarrier
    /// The audio its stream carries (Twilio's is always mu-law).
    public var audio: CallerAudioFormat
    public var callSid: String
    public var streamSid: String
    public var accountSid: String
    /// The `<Parameter>`s of the TwiML's `<Stream>`, which Twilio passes on in `start` (Plivo: the
    /// `extraHeaders` of its `<Stream>`, passed on as `extra_headers`).
    public var customParameters: [String: String]

    public init(carrier: SimulatedCarrier = .twilio, audio: CallerAudioFormat = .muLaw, callSid: String, streamSid: String,
                accountSid: String = "ACsimulated", customParameters: [String: String] = [:]) {
        self.carrier = carrier
        self.audio = audio
        self.callSid = callSid
        self.streamSid = streamSid
        self.accountSid = accountSid
        self.customParameters = customParameters
    }

    /// Call `index` of a load run.
    static func load(index: Int, carrier: SimulatedCarrier, audio: CallerAudioFormat) -> StreamStart {
        let callSid = callSid(index: index, carrier: carrier)
        if carrier == .telnyx {
            return StreamStart(carrier: .telnyx, audio: audio, callSid: callSid, streamSid: "5e000000-0000-4000-8000-" + String(index).leftPadded(to: 12),
                               accountSid: "load", customParameters: ["callSid": callSid, "tenant": "+15550100"])
        }
        if carrier == .vonage {
            return StreamStart(carrier: .vonage, audio: audio, callSid: callSid, streamSid: callSid, accountSid: "",
                               customParameters: ["callSid": callSid, "tenant": "+15550100"])
        }
        if carrier == .plivo {
            return StreamStart(carrier: .plivo, audio: audio, callSid: callSid, streamSid: "5e000000-0000-4000-8000-" + String(index).leftPadded(to: 12),
                               accountSid: "MAload", customParameters: ["tenant": "15550100"])
        }
        return StreamStart(callSid: callSid, streamSid: "MZload" + String(index).leftPadded(to: 26), accountSid: "ACload",
                           customParameters: ["callSid": callSid, "tenant": "+15550100"])
    }

    /// The call id of load call `index`, in the webhook and in the stream's `start`: a Twilio
    /// CallSid, or a Plivo CallUUID.
    static func callSid(index: Int, carrier: SimulatedCarrier) -> String {
        switch carrier {
        case .twilio: "CA" + String(index).leftPadded(to: 32)
        case .plivo: "ca000000-0000-4000-8000-" + String(index).leftPadded(to: 12)
        case .telnyx: "v3:load" + String(index).leftPadded(to: 24)
        case .vonage: "a0000000-0000-4000-8000-" + String(index).leftPadded(to: 12)
        }
    }

    /// Telnyx's name for the stream's codec.
    private var telnyxEncoding: String {
        switch audio {
        case .aLaw: "PCMA"
        case .linear16kBigEndian: "L16"
        case .opus16k: "OPUS"
        default: "PCMU"
        }
    }

    /// Plivo's `extra_headers`: the pairs as `name=value;name=value`, sorted.
    var plivoExtraHeaders: String {
        customParameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    /// How the carrier opens a stream: Twilio's and Telnyx's `connected` then `start`; Plivo's
    /// `start`; Vonage's `websocket:connected`.
    func openingMessages() -> [String] {
        if carrier == .vonage {
            // The NCCO's headers, flattened beside the event and the content type.
            var connected: [String: String] = customParameters
            connected["event"] = "websocket:connected"
            connected["content-type"] = "audio/l16;rate=16000"
            let data = (try? JSONSerialization.data(withJSONObject: connected, options: [.sortedKeys])) ?? Data()
            return [String(decoding: data, as: UTF8.self)]
        }
        if carrier == .telnyx {
            let parameters = (try? JSONSerialization.data(withJSONObject: customParameters, options: [.sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return [#"{"event":"connected","version":"1.0.0"}"#,
                    #"{"event":"start","sequence_number":"1","stream_id":"\#(streamSid)","start":{"user_id":"\#(accountSid)","call_control_id":"\#(callSid)","call_session_id":"ff55a038-6f5d-11ef-9692-02420aeffb1f","from":"+15555550100","to":"+15555550199","tags":[],"custom_parameters":\#(parameters),"media_format":{"encoding":"\#(telnyxEncoding)","sample_rate":\#(audio.sampleRate),"channels":1}}}"#]
        }
        if carrier == .plivo {
            return [#"{"event":"start","sequenceNumber":1,"start":{"callId":"\#(callSid)","streamId":"\#(streamSid)","accountId":"\#(accountSid)","tracks":["inbound"],"mediaFormat":{"encoding":"\#(audio == .linear16k ? "audio/x-l16" : "audio/x-mulaw")","sampleRate":\#(audio == .linear16k ? 16000 : 8000)}},"extra_headers":"\#(plivoExtraHeaders)"}"#]
        }
        let parameters = (try? JSONSerialization.data(withJSONObject: customParameters, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return [
            #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
            #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"\#(accountSid)","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":\#(parameters),"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"\#(streamSid)"}"#,
        ]
    }
}

/// What the callers of a load run saw; confined to the generator's loop.
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
