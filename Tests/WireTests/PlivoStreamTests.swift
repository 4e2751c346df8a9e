import Foundation
import Testing
import Wire

/// Plivo's Audio Streaming messages in the shapes its protocol reference gives, both ways.
@Suite struct PlivoStreamTests {
    static let parser = PlivoStreamParser(maximumMessageBytes: 4096)
    static let streamId = "87654321-4321-4321-4321-cba987654321"

    static func parse(_ text: String, streamId: String? = nil) throws -> (MediaStreamMessage, [UInt8]) {
        try ReaderHarness.parse(parser, text, streamId: streamId)
    }

    static let audio: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 5) }

    @Test func plivoMessagesAsItsReferenceShowsThem() throws {
        let start = """
            {"event":"start","sequenceNumber":1,"start":{"callId":"12345678-1234-1234-1234-123456789abc",
            "streamId":"\(Self.streamId)","accountId":"MAXXXXXXXXXXXXXXXXXX","tracks":["inbound"],
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}},"extra_headers":"tenant=15555550199;region=fra"}
            """
        guard case .start(let info) = try Self.parse(start).0 else { Issue.record("not a start"); return }
        #expect(info.callSid == "12345678-1234-1234-1234-123456789abc")
        #expect(info.streamSid == Self.streamId)
        #expect(info.accountSid == "MAXXXXXXXXXXXXXXXXXX")
        #expect(info.customParameters == ["tenant": "15555550199", "region": "fra"])
        #expect(info.mediaFormat == .init(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1))

        // Numbers as numbers, the timestamp a wall-clock string far beyond 32 bits.
        let media = """
            {"event":"media","sequenceNumber":42,"streamId":"\(Self.streamId)","media":{"track":"inbound",
            "timestamp":"1705312200000","chunk":41,"payload":"\(Data(Self.audio).base64EncodedString())"},"extra_headers":"tenant=1"}
            """
        let (parsed, payload) = try Self.parse(media, streamId: Self.streamId)
        #expect(parsed == .media(MediaPacket(chunk: 41, timestampMs: 0, payloadCount: 160, isInbound: true)))
        #expect(payload == Self.audio)

        #expect(try Self.parse(#"{"event":"dtmf","sequenceNumber":7,"streamId":"\#(Self.streamId)","dtmf":{"digit":"5","track":"inbound"}}"#).0
                == .dtmf(digit: "5"))
        #expect(try Self.parse(#"{"event":"playedStream","sequenceNumber":9,"streamId":"\#(Self.streamId)","name":"3:1200"}"#).0
                == .mark(name: "3:1200"))
        #expect(try Self.parse(#"{"event":"clearedAudio","sequenceNumber":10,"streamId":"\#(Self.streamId)"}"#).0 == .cleared)
        #expect(try Self.parse(#"{"event":"stop","streamId":"\#(Self.streamId)"}"#).0 == .stop)
        #expect(try Self.parse(#"{"event":"somethingNew","streamId":"\#(Self.streamId)"}"#).0 == .unknown(event: "somethingNew"))
    }

    @Test func refusesWhatPlivoWouldNotSend() {
        let otherStream = #"{"event":"media","streamId":"00000000-0000-0000-0000-000000000000","media":{"chunk":1,"payload":"//8="}}"#
        #expect(throws: MediaStreamProtocolError.wrongStreamSid) { try Self.parse(otherStream, streamId: Self.streamId) }
        #expect(throws: MediaStreamProtocolError.missingField("media.chunk")) {
            try Self.parse(#"{"event":"media","streamId":"\#(Self.streamId)","media":{"payload":"//8="}}"#)
        }
        #expect(throws: MediaStreamProtocolError.missingField("name")) { try Self.parse(#"{"event":"playedStream"}"#) }
        #expect(throws: MediaStreamProtocolError.missingField("start.streamId")) {
            try Self.parse(#"{"event":"start","start":{"callId":"c","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}}}"#)
        }
        #expect(throws: MediaStreamProtocolError.missingField("event")) { try Self.parse(#"{"streamId":"x"}"#) }
        let huge = #"{"event":"media","pad":""# + String(repeating: "a", count: 5000) + #""}"#
        #expect(throws: MediaStreamProtocolError.messageTooLarge(bytes: huge.utf8.count, limit: 4096)) { try Self.parse(huge) }
        #expect {
            try Self.parse(#"{"event":"media","#)
        } throws: { error in
            if case .malformedJSON = error as? MediaStreamProtocolError { return true }
            return false
        }
    }

    static func text(_ message: OutgoingMediaMessage, _ writer: PlivoStreamWriter) -> String {
        var bytes = [UInt8](repeating: 0, count: writer.byteCount(of: message))
        bytes.withUnsafeMutableBytes { writer.write(message, into: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func writesPlayAudioCheckpointAndClearAudio() throws {
        let writer = try PlivoStreamWriter(streamId: Self.streamId, contentType: "audio/x-mulaw", sampleRate: 8000)
        let media = Self.audio.withUnsafeBytes { Self.text(.media(payload: $0), writer) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(media.utf8)) as? [String: Any])
        #expect(json["event"] as? String == "playAudio")
        #expect(json["streamId"] as? String == Self.streamId)
        let body = try #require(json["media"] as? [String: Any])
        #expect(body["contentType"] as? String == "audio/x-mulaw")
        #expect(body["sampleRate"] as? Int == 8000)
        #expect((body["payload"] as? String).flatMap { Data(base64Encoded: $0) } == Data(Self.audio))
        #expect(Self.text(.mark(item: 3, offsetMs: 1200), writer) == #"{"event":"checkpoint","streamId":"\#(Self.streamId)","name":"3:1200"}"#)
        #expect(Self.text(.clear, writer) == #"{"event":"clearAudio","streamId":"\#(Self.streamId)"}"#)
        // What the relay writes, its own reader takes back as Plivo's echo would come.
        #expect(MarkName.parse("3:1200")! == (3, 1200))
        #expect(throws: PlivoStreamWriter.InvalidStreamId.self) { try PlivoStreamWriter(streamId: "a\"}", contentType: "audio/x-mulaw", sampleRate: 8000) }
        #expect(throws: PlivoStreamWriter.InvalidStreamId.self) { try PlivoStreamWriter(streamId: "abc", contentType: "audio/x\"", sampleRate: 8000) }
    }
}
