import Foundation
import Testing
import Wire

@Suite struct MediaStreamParserTests {
    static let parser = MediaStreamParser(maximumMessageBytes: 4096)
    static let sid = "MZ18ad3ab5a668481ce02b83e7395059f0"

    static func parse(_ text: String, streamSid: String? = nil) throws -> (MediaStreamMessage, [UInt8]) {
        var payload = [UInt8](repeating: 0, count: 400)
        let bytes = Array(text.utf8)
        let expected = streamSid.map { Array($0.utf8) }
        let message = try bytes.withUnsafeBytes { message in
            try payload.withUnsafeMutableBytes { payloadBuffer in
                if let expected {
                    return try expected.withUnsafeBytes { sid in try parser.parse(message, payload: payloadBuffer, streamSid: sid) }
                }
                return try parser.parse(message, payload: payloadBuffer)
            }
        }
        if case .media(let packet) = message { return (message, Array(payload[0..<packet.payloadCount])) }
        return (message, [])
    }

    static let audio: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    static var audioBase64: String { Data(audio).base64EncodedString() }

    @Test func twilioMessagesInTheirUsualShape() throws {
        #expect(try Self.parse(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#).0 == .connected)
        let start = """
            {"event":"start","sequenceNumber":"1","start":{"accountSid":"AC123","streamSid":"\(Self.sid)","callSid":"CA456",
            "tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
            "customParameters":{"tenant":"acme","region":"fra"}},"streamSid":"\(Self.sid)"}
            """
        guard case .start(let info) = try Self.parse(start).0 else { Issue.record("not a start"); return }
        #expect(info.callSid == "CA456")
        #expect(info.streamSid == Self.sid)
        #expect(info.customParameters == ["tenant": "acme", "region": "fra"])
        #expect(info.mediaFormat.sampleRate == 8000)

        let media = #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"40","payload":"\#(Self.audioBase64)"},"streamSid":"\#(Self.sid)"}"#
        let (message, payload) = try Self.parse(media, streamSid: Self.sid)
        #expect(message == .media(MediaPacket(chunk: 2, timestampMs: 40, payloadCount: 160, isInbound: true)))
        #expect(payload == Self.audio)

        #expect(try Self.parse(#"{"event":"mark","sequenceNumber":"4","streamSid":"\#(Self.sid)","mark":{"name":"7:1200"}}"#).0 == .mark(name: "7:1200"))
        #expect(try Self.parse(#"{"event":"dtmf","streamSid":"\#(Self.sid)","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"5"}}"#).0 == .dtmf(digit: "5"))
        #expect(try Self.parse(#"{"event":"stop","sequenceNumber":"6","streamSid":"\#(Self.sid)","stop":{"accountSid":"AC1","callSid":"CA1"}}"#).0 == .stop)
        #expect(try Self.parse(#"{"event":"someday","streamSid":"\#(Self.sid)"}"#).0 == .unknown(event: "someday"))
    }

    @Test func fieldOrderWhitespaceNumbersAndEscapedSlashesDoNotMatter() throws {
        let escaped = Self.audioBase64.replacingOccurrences(of: "/", with: "\\/")
        let media = """
            {  "streamSid" : "\(Self.sid)" ,
               "media" : { "payload" : "\(escaped)", "extra": [1, 2.5e3, {"x": null}, true, false],
                           "timestamp" : 60, "chunk" : 3 },
               "event" : "media" }
            """
        let (message, payload) = try Self.parse(media)
        #expect(message == .media(MediaPacket(chunk: 3, timestampMs: 60, payloadCount: 160, isInbound: true)))
        #expect(payload == Self.audio)
    }

    /// Long strings are skimmed sixteen bytes at a time: a quote, escape or control character
    /// anywhere in one (at every offset around those blocks) is still seen where it is.
    @Test func everyOffsetInALongStringIsRead() throws {
        for offset in 0..<40 {
            var plain = Array(repeating: "A", count: 40)
            plain[offset] = #"\""#
            let escaped = #"{"event":"mark","note":"\#(plain.joined())","mark":{"name":"m"}}"#
            #expect(try Self.parse(escaped).0 == .mark(name: "m"), "escape at \(offset)")
            plain[offset] = "\u{01}"
            let control = #"{"event":"mark","note":"\#(plain.joined())","mark":{"name":"m"}}"#
            #expect(throws: MediaStreamProtocolError.self, "control character at \(offset)") { try Self.parse(control) }
            plain[offset] = #"""#
            let cut = #"{"event":"mark","note":"\#(plain.joined())","mark":{"name":"m"}}"#
            #expect(throws: MediaStreamProtocolError.self, "quote at \(offset)") { try Self.parse(cut) }
        }
    }

    @Test(arguments: [
        (#"{"event":"media","media":{"chunk":"1","payload":"AAAA"#, "malformed JSON"),
        (#"{"event":"media"} trailing"#, "unexpected data"),
        (#"["event","media"]"#, "expected '{'"),
        (#"{"event":"media","media":{"chunk":"1","payload":"not base64!"}}"#, "media payload"),
        (#"{"event":"media","media":{"chunk":"x1","payload":"AAAA"}}"#, "whole number"),
        (#"{"event":"media","media":{"payload":"AAAA"}}"#, "media.chunk"),
        (#"{"event":"media","media":{"chunk":"1"}}"#, "media.payload"),
        (#"{"media":{"chunk":"1","payload":"AAAA"}}"#, "'event'"),
        (#"{"event":"start","start":{"streamSid":"MZ1"}}"#, "callSid"),
        (#"{"event":"mark","mark":{}}"#, "mark.name"),
        (#"{"event":"media","media":{"chunk":"99999999999","payload":"AAAA"}}"#, "media.chunk"),
        (#"{"event":"media","s":"\q"}"#, "bad escape"),
        (String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40), "nested too deeply"),
    ])
    func hostileMessagesGetAClearError(text: String, reason: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted: \(text)")
        } catch let error as MediaStreamProtocolError {
            #expect(error.description.contains(reason), "\(error.description)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func oversizedMessagesAndForeignStreamsAreRefused() {
        let big = #"{"event":"media","media":{"chunk":"1","payload":""# + String(repeating: "A", count: 5000) + #""}}"#
        #expect(throws: MediaStreamProtocolError.messageTooLarge(bytes: big.utf8.count, limit: 4096)) { try Self.parse(big) }
        let tooMuchAudio = #"{"event":"media","media":{"chunk":"1","payload":"\#(Data(count: 600).base64EncodedString())"}}"#
        #expect(throws: MediaStreamProtocolError.self) { try Self.parse(tooMuchAudio) }
        let foreign = #"{"event":"media","streamSid":"MZother","media":{"chunk":"1","payload":"AAAA"}}"#
        #expect(throws: MediaStreamProtocolError.wrongStreamSid) { try Self.parse(foreign, streamSid: Self.sid) }
    }
}
