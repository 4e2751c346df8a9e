import AudioPipeline
import NIOCore
import NIOWebSocket
import Wire

/// The media-stream protocol of one stream, whatever its carrier, without I/O: given what happened (a message
/// parsed, the call up or not, a timeout due), it moves the stream's phase and says what to do;
/// ``MediaStreamHandler`` does it on the socket. Generic over the call so that tests drive it
/// with a stand-in and no model.
struct MediaStreamStateMachine<Call> {
    typealias Closure = MediaStreamClosure

    /// A message that arrived while the call's model session opened.
    struct HeldMessage {
        var bytes: ByteBuffer
        /// A binary frame of caller audio (Vonage's), not a text message.
        var isAudio: Bool
    }

    enum Phase {
        case awaitingStart
        /// The model session is opening; messages that arrive meanwhile wait here.
        case starting(held: [HeldMessage])
        case live(Call)
        /// Ended while its call was still opening: the call is ended as soon as it is up.
        case endedWhileStarting
        case ended
    }

    /// What to do with a message.
    enum MessageAction {
        case none
        /// Open the call's model session (reading pauses until ``callStarted(_:)``), its audio
        /// in the carrier's encoding.
        case begin(MediaStreamStart, CallerAudioEncoding)
        /// Caller audio for the call's pipeline; the payload is in the parser's buffer.
        case deliver(Call, MediaPacket)
        case markEchoed(Call, item: UInt32, offsetMs: UInt32)
        /// A key press; the call is nil before it is up (logged, not sent anywhere).
        case keyPressed(Call?, digit: String)
        /// The carrier ended the call: end it, then close normally.
        case stop
        /// An event this relay does not know: logged and ignored.
        case ignore(event: String)
        /// The carrier reports an error in what it was sent: logged, the call goes on.
        case carrierError(Call?, detail: String)
        case close(Closure)
    }

    /// What to do once the call's model session is up.
    enum StartedAction {
        /// Go live: these messages arrived meanwhile, in order; then resume reading.
        case replay([HeldMessage])
        /// The stream ended meanwhile: end the call at once.
        case end(Call)
    }

    /// What a timeout check found.
    enum TimeoutCheck: Equatable {
        case checkAgain(atNs: UInt64)
        /// The stream is closed with this reason (and `label` counted as a refusal).
        case timedOut(reason: String, label: String)
        /// Nothing left to watch.
        case done
    }

    /// Messages that may wait while the model session opens; more close the stream.
    static var maximumHeldMessages: Int { 256 }

    private var phase = Phase.awaitingStart
    /// The encoding the carrier's `start` announces, if the relay takes it.
    private let encodingOf: (MediaStreamStart.MediaFormat) -> CallerAudioEncoding?
    /// The stream's encoding, once started: what a media payload must be.
    private var encoding = CallerAudioEncoding.muLaw
    /// Binary audio frames taken so far: their sequence numbers (Vonage numbers none).
    private var binaryFrames: UInt32 = 0
    private let openedNs: UInt64
    private var lastHeardNs: UInt64
    private let startTimeout: Duration
    private let idleTimeout: Duration

    init(openedNs: UInt64, startTimeout: Duration, idleTimeout: Duration,
         encodingOf: @escaping (MediaStreamStart.MediaFormat) -> CallerAudioEncoding? = { $0.muLawEncoding }) {
        self.encodingOf = encodingOf
        self.openedNs = openedNs
        self.lastHeardNs = openedNs
        self.startTimeout = startTimeout
        self.idleTimeout = idleTimeout
    }

    /// The call, once it is up.
    var liveCall: Call? {
        if case .live(let call) = phase { return call }
        return nil
    }

    /// The first moment a timeout could expire.
    var firstTimeoutCheckNs: UInt64 { openedNs &+ startTimeout.wholeNanoseconds }

    /// Bytes came in from the carrier (any frame keeps a live stream from idling out).
    mutating func heard(atNs now: UInt64) {
        lastHeardNs = now
    }

    /// A whole message while the call is opening is kept for later; returns nil when the
    /// message is to be taken now, or the closure when too many wait.
    mutating func holdIfStarting(_ message: UnsafeRawBufferPointer, isAudio: Bool = false) -> Result<Void, Closure>? {
        guard case .starting(var held) = phase else { return nil }
        guard held.count < Self.maximumHeldMessages else {
            return .failure(Closure(code: .policyViolation, reason: "too many messages before the call was up"))
        }
        held.append(HeldMessage(bytes: ByteBuffer(bytes: message), isAudio: isAudio))
        phase = .starting(held: held)
        return .success(())
    }

    mutating func received(_ message: MediaStreamMessage) -> MessageAction {
        switch message {
        case .connected, .cleared:
            return .none
        case .start(let start):
            guard case .awaitingStart = phase else {
                return .close(Closure(code: .policyViolation, reason: "second start on one stream"))
            }
            guard let encoding = encodingOf(start.mediaFormat) else {
                let format = start.mediaFormat
                return .close(Closure(code: .policyViolation, reason: "unsupported media format \(format.encoding) at \(format.sampleRate) Hz"))
            }
            self.encoding = encoding
            phase = .starting(held: [])
            return .begin(start, encoding)
        case .media(let packet):
            guard case .live(let call) = phase else { return .close(Closure(code: .policyViolation, reason: "media before start")) }
            guard packet.isInbound else { return .none }
            guard encoding.takesPayload(of: packet.payloadCount) else {
                let expected = if case .opus = encoding { "at most \(encoding.bytesPerFrame)" } else { "\(encoding.bytesPerFrame)" }
                return .close(Closure(code: .policyViolation, reason: "media payload is \(packet.payloadCount) bytes, expected \(expected)"))
            }
            return .deliver(call, packet)
        case .mark(let name):
            guard case .live(let call) = phase, let mark = MarkName.parse(name) else { return .none }
            return .markEchoed(call, item: mark.item, offsetMs: mark.offsetMs)
        case .dtmf(let digit):
            return .keyPressed(liveCall, digit: digit)
        case .stop:
            return .stop
        case .unknown(let event):
            return .ignore(event: event)
        case .carrierError(let detail):
            return .carrierError(liveCall, detail: detail)
        }
    }

    /// A binary frame of caller audio (a carrier that sends audio bare, as Vonage does): numbered
    /// in arrival order, 20 ms apart, then taken as a `media` message would be.
    mutating func receivedAudio(byteCount: Int) -> MessageAction {
        binaryFrames &+= 1
        let packet = MediaPacket(chunk: binaryFrames, timestampMs: (binaryFrames &- 1) &* 20, payloadCount: byteCount, isInbound: true)
        return received(.media(packet))
    }

    /// The call's model session is up.
    mutating func callStarted(_ call: Call) -> StartedAction {
        guard case .starting(let held) = phase else {
            phase = .ended
            return .end(call)
        }
        phase = .live(call)
        return .replay(held)
    }

    /// The stream ends, whatever ended it; returns the call to end, if one is up. A call still
    /// opening is ended when it comes up (``callStarted(_:)`` says so).
    mutating func end() -> Call? {
        switch phase {
        case .live(let call):
            phase = .ended
            return call
        case .starting, .endedWhileStarting:
            phase = .endedWhileStarting
            return nil
        case .awaitingStart, .ended:
            phase = .ended
            return nil
        }
    }

    /// Whether the stream never started or went quiet by `now`; otherwise when to look again
    /// (a call still opening its model session is looked at an idle timeout later, by when it
    /// is live or gone).
    func checkTimeouts(nowNs now: UInt64) -> TimeoutCheck {
        switch phase {
        case .awaitingStart:
            let deadlineNs = openedNs &+ startTimeout.wholeNanoseconds
            guard now >= deadlineNs else { return .checkAgain(atNs: deadlineNs) }
            return .timedOut(reason: "no start within \(startTimeout)", label: "no-start-timeout")
        case .live:
            let deadlineNs = lastHeardNs &+ idleTimeout.wholeNanoseconds
            guard now >= deadlineNs else { return .checkAgain(atNs: deadlineNs) }
            return .timedOut(reason: "no message for \(idleTimeout)", label: "idle-timeout")
        case .starting:
            return .checkAgain(atNs: now &+ idleTimeout.wholeNanoseconds)
        case .endedWhileStarting, .ended:
            return .done
        }
    }
}

extension MediaStreamStart.MediaFormat {
    /// Mu-law at 8 kHz, the one format Twilio streams; nil for anything else.
    var muLawEncoding: CallerAudioEncoding? {
        encoding == "audio/x-mulaw" && sampleRate == 8000 ? .muLaw : nil
    }
}
