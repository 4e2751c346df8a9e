import Foundation
import Server
import Testing

@Suite struct MediaStreamWriterTests {
    @Test func writesMessagesTwilioAndOurParserRead() throws {
        var writer = try MediaStreamWriter(streamSid: "MZabc123")
        let audio: [UInt8] = (0..<160).map { UInt8($0) }
        let media = audio.withUnsafeBytes { payload in writer.media(payload) { Array($0) } }
        let json = try JSONSerialization.jsonObject(with: Data(media)) as! [String: Any]
        #expect(json["event"] as? String == "media")
        #expect(json["streamSid"] as? String == "MZabc123")
        let payload = (json["media"] as! [String: Any])["payload"] as! String
        #expect(Data(base64Encoded: payload) == Data(audio))

        let mark = writer.mark(item: 42, offsetMs: 1200) { Array($0) }
        #expect(String(decoding: mark, as: UTF8.self) == #"{"event":"mark","streamSid":"MZabc123","mark":{"name":"42:1200"}}"#)
        let clear = writer.clear { Array($0) }
        #expect(String(decoding: clear, as: UTF8.self) == #"{"event":"clear","streamSid":"MZabc123"}"#)
        #expect(MarkName.parse("42:1200")! == (42, 1200))
        #expect(MarkName.parse("x:1") == nil)
        #expect(throws: MediaStreamWriter.InvalidStreamSid.self) { try MediaStreamWriter(streamSid: "MZ\"}") }
    }
}
