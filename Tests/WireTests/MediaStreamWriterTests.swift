import Foundation
import NIOCore
import Testing
import Wire

@Suite struct MediaStreamWriterTests {
    static func text(_ message: MediaStreamWriter.Message, _ writer: MediaStreamWriter) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: writer.byteCount(of: message))
        bytes.withUnsafeMutableBytes { writer.write(message, into: $0) }
        return bytes
    }

    @Test func writesMessagesTwilioAndOurParserRead() throws {
        let writer = try MediaStreamWriter(streamSid: "MZabc123")
        let audio: [UInt8] = (0..<160).map { UInt8($0) }
        let media = audio.withUnsafeBytes { Self.text(.media(payload: $0), writer) }
        let json = try JSONSerialization.jsonObject(with: Data(media)) as! [String: Any]
        #expect(json["event"] as? String == "media")
        #expect(json["streamSid"] as? String == "MZabc123")
        let payload = (json["media"] as! [String: Any])["payload"] as! String
        #expect(Data(base64Encoded: payload) == Data(audio))

        let mark = Self.text(.mark(item: 42, offsetMs: 1200), writer)
        #expect(String(decoding: mark, as: UTF8.self) == #"{"event":"mark","streamSid":"MZabc123","mark":{"name":"42:1200"}}"#)
        #expect(String(decoding: Self.text(.mark(item: 0, offsetMs: 4_294_967_295), writer), as: UTF8.self)
                == #"{"event":"mark","streamSid":"MZabc123","mark":{"name":"0:4294967295"}}"#)
        let clear = Self.text(.clear, writer)
        #expect(String(decoding: clear, as: UTF8.self) == #"{"event":"clear","streamSid":"MZabc123"}"#)
        #expect(MarkName.parse("42:1200")! == (42, 1200))
        #expect(MarkName.parse("x:1") == nil)
        #expect(MarkName.parse("0:4294967295")! == (0, 4_294_967_295))
        for malformed in ["1:2:3", ":5", "5:", "5", "", "1:4294967296", "1 :2"] { #expect(MarkName.parse(malformed) == nil) }
        #expect(throws: MediaStreamWriter.InvalidStreamSid.self) { try MediaStreamWriter(streamSid: "MZ\"}") }
    }

    /// A media frame and its mark in one buffer: unmasked server text frames, the media one with
    /// a 16-bit length (its JSON is over 125 bytes), the mark with a 7-bit one.
    @Test func framesMediaAndMarkBackToBack() throws {
        let writer = try MediaStreamWriter(streamSid: "MZ" + String(repeating: "a", count: 32))
        let audio = [UInt8](repeating: 0xFF, count: 160)
        var buffer = ByteBuffer()
        let (mediaText, markText) = audio.withUnsafeBytes { payload in
            writer.appendFrame(.media(payload: payload), to: &buffer)
            writer.appendFrame(.mark(item: 7, offsetMs: 140), to: &buffer)
            return (Self.text(.media(payload: payload), writer), Self.text(.mark(item: 7, offsetMs: 140), writer))
        }
        let bytes = Array(buffer.readableBytesView)
        #expect(bytes.count == audio.withUnsafeBytes { writer.frameBytes(of: .media(payload: $0)) } + writer.frameBytes(of: .mark(item: 7, offsetMs: 140)))
        #expect(bytes[0] == 0x81 && bytes[1] == 126)
        #expect(Int(bytes[2]) << 8 | Int(bytes[3]) == mediaText.count)
        #expect(Array(bytes[4..<(4 + mediaText.count)]) == mediaText)
        let mark = bytes[(4 + mediaText.count)...]
        #expect(Array(mark.prefix(2)) == [0x81, UInt8(markText.count)])
        #expect(Array(mark.dropFirst(2)) == markText)
    }
}
