import NIOCore
@testable import Server
import Testing
import Wire

/// The Media Streams protocol of one stream, driven directly: no socket, no model, no clock.
@Suite struct MediaStreamStateMachineTests {
    final class Call {}
    typealias Machine = MediaStreamStateMachine<Call>

    static let start = MediaStreamStart(streamSid: "MZ1", callSid: "CA1", accountSid: "AC1")
    static let media = MediaStreamMessage.media(MediaPacket(chunk: 1, timestampMs: 0, payloadCount: 160, isInbound: true))
    static let opened: UInt64 = 1_000_000_000

    static func machine() -> Machine {
        Machine(openedNs: opened, startTimeout: .seconds(10), idleTimeout: .seconds(5))
    }

    @Test func aStreamGoesLiveAfterItsStartAndItsCallWithWhatArrivedMeanwhileInOrder() {
        var machine = Self.machine()
        guard case .close(let early) = machine.received(Self.media) else { Issue.record("media before start was taken"); return }
        #expect(early.reason == "media before start")
        #expect(machine.holdIfStarting(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        guard case .begin(let start, let encoding) = machine.received(.start(Self.start)) else { Issue.record("start did not begin the call"); return }
        #expect(start == Self.start)
        #expect(encoding == .muLaw)
        // While the model session opens, messages wait, in order.
        for text in ["first", "second"] {
            let held = Array(text.utf8).withUnsafeBytes { machine.holdIfStarting($0) }
            guard case .success? = held else { Issue.record("\(text) was not held"); return }
        }
        let call = Call()
        guard case .replay(let held) = machine.callStarted(call) else { Issue.record("the call did not go live"); return }
        #expect(held.map { String(buffer: $0.bytes) } == ["first", "second"])
        #expect(machine.liveCall === call)
        guard case .deliver(let target, let packet) = machine.received(Self.media) else { Issue.record("media was not delivered"); return }
        #expect(target === call && packet.chunk == 1)
        // Outbound-track audio is not the caller's.
        guard case .none = machine.received(.media(MediaPacket(chunk: 2, timestampMs: 20, payloadCount: 160, isInbound: false))) else {
            Issue.record("outbound-track media was delivered"); return
        }
        guard case .close(let short) = machine.received(.media(MediaPacket(chunk: 3, timestampMs: 40, payloadCount: 80, isInbound: true))) else {
            Issue.record("a short payload was delivered"); return
        }
        #expect(short.reason == "media payload is 80 bytes, expected 160")
    }

    @Test func aSecondStartOrAnotherCodecClosesTheStream() {
        var machine = Self.machine()
        var wideband = Self.start
        wideband.mediaFormat = .init(encoding: "audio/L16", sampleRate: 16000, channels: 1)
        guard case .close(let codec) = machine.received(.start(wideband)) else { Issue.record("L16 was accepted"); return }
        #expect(codec == MediaStreamClosure(code: .policyViolation, reason: "unsupported media format audio/L16 at 16000 Hz"))
        guard case .begin = machine.received(.start(Self.start)) else { Issue.record("the start was refused"); return }
        guard case .close(let second) = machine.received(.start(Self.start)) else { Issue.record("a second start was taken"); return }
        #expect(second.reason == "second start on one stream")
    }

    /// A carrier that streams 16 kHz linear PCM (Plivo's `audio/x-l16`): its frames are 640 bytes.
    @Test func aWidebandStreamTakesFramesOfItsOwnSize() {
        var machine = Machine(openedNs: 0, startTimeout: .seconds(10), idleTimeout: .seconds(5)) { format in
            format.encoding == "audio/x-l16" ? .linear16(sampleRate: format.sampleRate) : nil
        }
        var wideband = Self.start
        wideband.mediaFormat = .init(encoding: "audio/x-l16", sampleRate: 16000, channels: 1)
        guard case .begin(_, .linear16(sampleRate: 16000)) = machine.received(.start(wideband)) else { Issue.record("L16 was refused"); return }
        _ = machine.callStarted(Call())
        guard case .deliver = machine.received(.media(MediaPacket(chunk: 1, timestampMs: 0, payloadCount: 640, isInbound: true))) else {
            Issue.record("a 640-byte frame was refused"); return
        }
        guard case .close(let narrow) = machine.received(.media(MediaPacket(chunk: 2, timestampMs: 20, payloadCount: 160, isInbound: true))) else {
            Issue.record("a 160-byte frame was taken"); return
        }
        #expect(narrow.reason == "media payload is 160 bytes, expected 640")
    }

    /// Vonage's caller audio comes bare in binary frames: held while the call opens, then numbered
    /// in arrival order, 20 ms apart, and sized like any media payload.
    @Test func binaryAudioIsNumberedOnArrivalAndChecked() {
        var machine = Machine(openedNs: 0, startTimeout: .seconds(10), idleTimeout: .seconds(5)) { _ in .linear16(sampleRate: 16000) }
        guard case .close(let early) = machine.receivedAudio(byteCount: 640) else { Issue.record("audio before start was taken"); return }
        #expect(early.reason == "media before start")
        _ = machine.received(.start(Self.start))
        let frame = [UInt8](repeating: 0, count: 640)
        guard case .success? = frame.withUnsafeBytes({ machine.holdIfStarting($0, isAudio: true) }) else { Issue.record("not held"); return }
        guard case .replay(let held) = machine.callStarted(Call()) else { Issue.record("the call did not go live"); return }
        #expect(held.map(\.isAudio) == [true])
        for expected in UInt32(2)...4 {
            guard case .deliver(_, let packet) = machine.receivedAudio(byteCount: 640) else { Issue.record("audio was not delivered"); return }
            #expect(packet == MediaPacket(chunk: expected, timestampMs: (expected - 1) * 20, payloadCount: 640, isInbound: true))
        }
        guard case .close(let short) = machine.receivedAudio(byteCount: 320) else { Issue.record("a short frame was taken"); return }
        #expect(short.reason == "media payload is 320 bytes, expected 640")
    }

    /// An Opus packet's size varies: anything from one byte to an outbound slot is a frame.
    @Test func anOpusStreamTakesPacketsOfAnySizeUpToTheLimit() {
        var machine = Machine(openedNs: 0, startTimeout: .seconds(10), idleTimeout: .seconds(5)) { _ in .opus(sampleRate: 16000) }
        _ = machine.received(.start(Self.start))
        _ = machine.callStarted(Call())
        for (chunk, size) in [(UInt32(1), 1), (2, 47), (3, 320)] {
            guard case .deliver = machine.received(.media(MediaPacket(chunk: chunk, timestampMs: 0, payloadCount: size, isInbound: true))) else {
                Issue.record("a \(size)-byte packet was refused"); return
            }
        }
        guard case .close(let large) = machine.received(.media(MediaPacket(chunk: 4, timestampMs: 0, payloadCount: 321, isInbound: true))) else {
            Issue.record("a 321-byte packet was taken"); return
        }
        #expect(large.reason == "media payload is 321 bytes, expected at most 320")
    }

    @Test func atMostSoManyMessagesWaitForTheCall() {
        var machine = Self.machine()
        _ = machine.received(.start(Self.start))
        for _ in 0..<Machine.maximumHeldMessages {
            guard case .success? = machine.holdIfStarting(UnsafeRawBufferPointer(start: nil, count: 0)) else {
                Issue.record("refused before the limit"); return
            }
        }
        guard case .failure(let closure)? = machine.holdIfStarting(UnsafeRawBufferPointer(start: nil, count: 0)) else {
            Issue.record("held beyond the limit"); return
        }
        #expect(closure.reason == "too many messages before the call was up")
    }

    @Test func marksGoToTheLiveCallAndKeysAreReportedEvenBeforeIt() {
        var machine = Self.machine()
        guard case .keyPressed(nil, "5") = machine.received(.dtmf(digit: "5")) else { Issue.record("an early key was lost"); return }
        guard case .none = machine.received(.mark(name: "3:1200")) else { Issue.record("a mark before the call was taken"); return }
        _ = machine.received(.start(Self.start))
        let call = Call()
        _ = machine.callStarted(call)
        guard case .markEchoed(let target, 3, 1200) = machine.received(.mark(name: "3:1200")), target === call else {
            Issue.record("the mark did not reach the call"); return
        }
        guard case .none = machine.received(.mark(name: "not ours")) else { Issue.record("a foreign mark was taken"); return }
        guard case .keyPressed(let pressed?, "#") = machine.received(.dtmf(digit: "#")), pressed === call else {
            Issue.record("the key did not reach the call"); return
        }
        guard case .stop = machine.received(.stop) else { Issue.record("stop was not a stop"); return }
        guard case .ignore("speech") = machine.received(.unknown(event: "speech")) else { Issue.record("an unknown event was not ignored"); return }
    }

    /// A stream that ends (hang-up, drain) while its model session opens: the call is ended the
    /// moment it comes up, not put live on a stream that is gone.
    @Test func aCallThatComesUpAfterItsStreamEndedIsEndedAtOnce() {
        var machine = Self.machine()
        _ = machine.received(.start(Self.start))
        #expect(machine.end() == nil)
        let call = Call()
        guard case .end(let ended) = machine.callStarted(call) else { Issue.record("the call went live on an ended stream"); return }
        #expect(ended === call)
        #expect(machine.liveCall == nil)
        #expect(machine.end() == nil)
        #expect(machine.checkTimeouts(nowNs: Self.opened + 60_000_000_000) == .done)
    }

    @Test func aLiveCallIsEndedOnce() {
        var machine = Self.machine()
        _ = machine.received(.start(Self.start))
        let call = Call()
        _ = machine.callStarted(call)
        #expect(machine.end() === call)
        #expect(machine.end() == nil)
    }

    @Test func aStreamThatNeverStartsOrGoesQuietTimesOut() {
        let second: UInt64 = 1_000_000_000
        var machine = Self.machine()
        #expect(machine.firstTimeoutCheckNs == Self.opened + 10 * second)
        #expect(machine.checkTimeouts(nowNs: Self.opened + 9 * second) == .checkAgain(atNs: Self.opened + 10 * second))
        #expect(machine.checkTimeouts(nowNs: Self.opened + 10 * second) == .timedOut(reason: "no start within 10.0 seconds", label: "no-start-timeout"))

        _ = machine.received(.start(Self.start))
        // Opening the model session is not idling: looked at again an idle timeout later.
        #expect(machine.checkTimeouts(nowNs: Self.opened + 12 * second) == .checkAgain(atNs: Self.opened + 17 * second))
        _ = machine.callStarted(Call())
        machine.heard(atNs: Self.opened + 20 * second)
        #expect(machine.checkTimeouts(nowNs: Self.opened + 24 * second) == .checkAgain(atNs: Self.opened + 25 * second))
        #expect(machine.checkTimeouts(nowNs: Self.opened + 25 * second) == .timedOut(reason: "no message for 5.0 seconds", label: "idle-timeout"))
    }
}
