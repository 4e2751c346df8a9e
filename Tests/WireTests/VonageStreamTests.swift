import Foundation
import NIOCore
import Testing
import Wire

/// Vonage's WebSocket text messages in the shapes its Voice API guide gives, and what the relay
/// sends back: audio as bare binary frames, `notify` and `clear` as JSON text.
@Suite struct VonageStreamTests {
    static let parser = VonageStreamParser(maximumMessageBytes: 4096)
    static let uuid = "63f61863-4a51-4f6b-86e1-46edebcf9356"

    static func parse(_ text: String) throws -> MediaStreamMessage {
        try ReaderHarness.parse(parser, text).0
    }

    @Test func vonageEventsAsItsGuideShowsThem() throws {
        // The NCCO endpoint's headers come flattened beside the event and the content type.
        let connected = #"{"event":"websocket:connected","content-type":"audio/l16;rate=16000","callSid":"\#(Self.uuid)","tenant":"+447700900000","region":"lhr","level":3}"#
        guard case .start(let start) = try Self.parse(connected) else { Issue.record("not a start"); return }
        #expect(start.callSid == Self.uuid && start.streamSid == Self.uuid)
        #expect(start.customParameters == ["callSid": Self.uuid, "tenant": "+447700900000", "region": "lhr"])
        #expect(start.mediaFormat == MediaStreamStart.MediaFormat(encoding: "audio/l16", sampleRate: 16000, channels: 1))
        #expect(VonageStreamParser.mediaFormat(contentType: "audio/l16; rate=8000")?.sampleRate == 8000)
        #expect(VonageStreamParser.mediaFormat(contentType: "audio/l16") == nil)

        #expect(try Self.parse(#"{"event":"websocket:dtmf","digit":"5","duration":260}"#) == .dtmf(digit: "5"))
        #expect(try Self.parse(#"{"event":"websocket:notify","payload":{"mark":"3:1480"}}"#) == .mark(name: "3:1480"))
        #expect(try Self.parse(#"{"event":"websocket:cleared"}"#) == .cleared)
        #expect(try Self.parse(#"{"event":"websocket:media:update","payload":"x"}"#) == .unknown(event: "websocket:media:update"))
    }

    @Test func refusesWhatVonageWouldNotSend() {
        #expect(throws: MediaStreamProtocolError.missingField("callSid")) {
            try Self.parse(#"{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}"#)
        }
        #expect(throws: MediaStreamProtocolError.missingField("content-type")) {
            try Self.parse(#"{"event":"websocket:connected","callSid":"\#(Self.uuid)"}"#)
        }
        #expect(throws: MediaStreamProtocolError.invalidField("content-type")) {
            try Self.parse(#"{"event":"websocket:connected","content-type":"l16","callSid":"\#(Self.uuid)"}"#)
        }
        #expect(throws: MediaStreamProtocolError.missingField("digit")) { try Self.parse(#"{"event":"websocket:dtmf"}"#) }
        #expect(throws: MediaStreamProtocolError.missingField("payload.mark")) { try Self.parse(#"{"event":"websocket:notify","payload":{}}"#) }
        #expect(throws: MediaStreamProtocolError.missingField("event")) { try Self.parse(#"{"action":"clear"}"#) }
        #expect(throws: MediaStreamProtocolError.messageTooLarge(bytes: 5000, limit: 4096)) {
            try Self.parse(#"{"event":""# + String(repeating: "x", count: 5000 - 12) + #""}"#)
        }
    }

    @Test func audioGoesBackBareInBinaryFramesAndCommandsAsText() throws {
        let writer = VonageStreamWriter()
        let audio: [UInt8] = (0..<640).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let frame = audio.withUnsafeBytes { writer.frame(.media(payload: $0), allocator: ByteBufferAllocator()) }
        let bytes = Array(frame.readableBytesView)
        // FIN and binary; 640 is a 16-bit extended length; then the payload as it was.
        #expect(bytes[0] == 0x82 && bytes[1] == 126 && Int(bytes[2]) << 8 | Int(bytes[3]) == 640)
        #expect(Array(bytes[4...]) == audio)
        #expect(audio.withUnsafeBytes { writer.frameBytes(of: .media(payload: $0)) } == 644)

        let notify = writer.frame(.mark(item: 3, offsetMs: 1480), allocator: ByteBufferAllocator())
        #expect(notify.getInteger(at: 0, as: UInt8.self) == 0x81)
        let json = try JSONSerialization.jsonObject(with: Data(notify.readableBytesView.dropFirst(2))) as? [String: Any]
        #expect(json?["action"] as? String == "notify")
        #expect((json?["payload"] as? [String: String])?["mark"] == "3:1480")
        let clear = writer.frame(.clear, allocator: ByteBufferAllocator())
        #expect(String(decoding: clear.readableBytesView.dropFirst(2), as: UTF8.self) == #"{"action":"clear"}"#)
    }
}
