import Foundation
import Testing
import Wire

/// Telnyx's media-streaming messages in the shapes its AsyncAPI reference gives, both ways.
@Suite struct TelnyxStreamTests {
    static let parser = TelnyxStreamParser(maximumMessageBytes: 4096)
    static let streamId = "32DE0DEA-53CB-4B21-89A4-9E1819C043BC"

    static func parse(_ text: String, streamId: String? = nil) throws -> (MediaStreamMessage, [UInt8]) {
        try ReaderHarness.parse(parser, text, streamId: streamId)
    }

    static let audio: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }

    @Test func telnyxMessagesAsItsReferenceShowsThem() throws {
        #expect(try Self.parse(#"{"event":"connected","version":"1.0.0"}"#).0 == .connected)
        let start = """
            {"event":"start","sequence_number":"1","stream_id":"\(Self.streamId)","start":{"user_id":"3E6F995F-85F7-4705-9741-53B116D28237",
            "call_control_id":"v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ","call_session_id":"ff55a038-6f5d-11ef-9692-02420aeffb1f",
            "from":"+13122010094","to":"+13122123456","tags":["TAG1","TAG2"],"client_state":"aGF2ZSBhIG5pY2UgZGF5ID1d",
            "custom_parameters":{"customer_id":"customer_123"},"media_format":{"encoding":"PCMU","sample_rate":8000,"channels":1}}}
            """
        guard case .start(let info) = try Self.parse(start).0 else { Issue.record("not a start"); return }
        #expect(info.streamSid == Self.streamId)
        #expect(info.callSid == "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ")
        #expect(info.customParameters == ["customer_id": "customer_123"])
        #expect(info.mediaFormat == .init(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1))
        #expect(TelnyxStreamParser.mimeType(of: "PCMA") == "audio/x-alaw" && TelnyxStreamParser.mimeType(of: "L16") == "audio/L16")

        let media = """
            {"event":"media","sequence_number":"4","media":{"track":"inbound","chunk":"2","timestamp":"5",
            "payload":"\(Data(Self.audio).base64EncodedString())"},"stream_id":"\(Self.streamId)"}
            """
        let (parsed, payload) = try Self.parse(media, streamId: Self.streamId)
        #expect(parsed == .media(MediaPacket(chunk: 2, timestampMs: 5, payloadCount: 160, isInbound: true)))
        #expect(payload == Self.audio)
        let outbound = #"{"event":"media","media":{"track":"outbound","chunk":3,"payload":"//8="},"stream_id":"\#(Self.streamId)"}"#
        #expect(try Self.parse(outbound).0 == .media(MediaPacket(chunk: 3, timestampMs: 0, payloadCount: 2, isInbound: false)))

        #expect(try Self.parse(#"{"event":"dtmf","stream_id":"\#(Self.streamId)","occurred_at":"2024-01-01T00:00:00Z","sequence_number":"5","dtmf":{"digit":"1"}}"#).0
                == .dtmf(digit: "1"))
        #expect(try Self.parse(#"{"event":"mark","sequence_number":"6","stream_id":"\#(Self.streamId)","mark":{"name":"4:900"}}"#).0
                == .mark(name: "4:900"))
        #expect(try Self.parse(#"{"event":"stop","sequence_number":"7","stop":{"user_id":"u","call_control_id":"v2:x"},"stream_id":"\#(Self.streamId)"}"#).0
                == .stop)
        #expect(try Self.parse(#"{"event":"error","sequence_number":"8","payload":{"code":100002,"title":"Unknown error","detail":"malformed frame"},"stream_id":"\#(Self.streamId)"}"#).0
                == .carrierError(detail: "malformed frame"))
    }

    @Test func refusesWhatTelnyxWouldNotSend() {
        #expect(throws: MediaStreamProtocolError.wrongStreamSid) {
            try Self.parse(#"{"event":"media","stream_id":"other","media":{"chunk":"1","payload":"//8="}}"#, streamId: Self.streamId)
        }
        #expect(throws: MediaStreamProtocolError.missingField("media.chunk")) { try Self.parse(#"{"event":"media","media":{"payload":"//8="}}"#) }
        #expect(throws: MediaStreamProtocolError.missingField("mark.name")) { try Self.parse(#"{"event":"mark","mark":{}}"#) }
        #expect(throws: MediaStreamProtocolError.missingField("start.call_control_id")) {
            try Self.parse(#"{"event":"start","stream_id":"s","start":{"media_format":{"encoding":"PCMU","sample_rate":8000}}}"#)
        }
    }

    static func text(_ message: OutgoingMediaMessage) -> String {
        let writer = TelnyxStreamWriter()
        var bytes = [UInt8](repeating: 0, count: writer.byteCount(of: message))
        bytes.withUnsafeMutableBytes { writer.write(message, into: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func writesMediaMarkAndClear() throws {
        let media = Self.audio.withUnsafeBytes { Self.text(.media(payload: $0)) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(media.utf8)) as? [String: Any])
        #expect(json["event"] as? String == "media")
        #expect(((json["media"] as? [String: Any])?["payload"] as? String).flatMap { Data(base64Encoded: $0) } == Data(Self.audio))
        #expect(Self.text(.mark(item: 4, offsetMs: 900)) == #"{"event":"mark","mark":{"name":"4:900"}}"#)
        #expect(Self.text(.clear) == #"{"event":"clear"}"#)
    }
}
