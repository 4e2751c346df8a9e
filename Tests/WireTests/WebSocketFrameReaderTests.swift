import NIOCore
import Testing
import Wire

@Suite struct WebSocketFrameReaderTests {
    struct Seen: Equatable {
        let fin: Bool
        let opcode: FrameOpcode
        let payload: [UInt8]
    }

    /// Frames as a client writes them (masked) or a server does (not).
    static func wire(_ frames: [(FrameOpcode, [UInt8])], masked: Bool) -> [UInt8] {
        var writer = masked ? WebSocketFrameWriter.client() : .server
        var buffer = ByteBuffer()
        for (opcode, payload) in frames { payload.withUnsafeBytes { writer.write(opcode, payload: $0, into: &buffer) } }
        return Array(buffer.readableBytesView)
    }

    static func read(_ bytes: [UInt8], splitAt cuts: [Int], limit: Int = 1 << 20) throws(WebSocketFrameReader.Failure) -> [Seen] {
        var reader = WebSocketFrameReader(maximumPayloadBytes: limit)
        var seen: [Seen] = []
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            try reader.read(ByteBuffer(bytes: bytes[start..<end])) { frame in
                seen.append(Seen(fin: frame.fin, opcode: frame.opcode, payload: Array(frame.payload)))
                return true
            }
            start = end
        }
        #expect(reader.bufferedBytes == 0)
        return seen
    }

    /// Every length form (7-bit, 16-bit, 64-bit), masked or not, read whole or cut at any byte.
    @Test(arguments: [false, true])
    func readsFramesWhateverTheReadsCutThem(masked: Bool) throws {
        let frames: [(FrameOpcode, [UInt8])] = [
            (.text, Array("hello".utf8)), (.text, (0..<300).map { UInt8($0 & 0xFF) }),
            (.binary, (0..<70_000).map { UInt8(($0 * 7) & 0xFF) }), (.ping, []), (.text, Array(repeating: 0x41, count: 125)),
        ]
        let bytes = Self.wire(frames, masked: masked)
        let expected = frames.map { Seen(fin: true, opcode: $0.0, payload: $0.1) }
        #expect(try Self.read(bytes, splitAt: []) == expected)
        for cut in stride(from: 1, to: bytes.count, by: 97) {
            #expect(try Self.read(bytes, splitAt: [cut]) == expected)
        }
        #expect(try Self.read(bytes, splitAt: Array(1..<400)) == expected)
    }

    @Test func refusesMalformedFramesAndOversizeBeforeTheirPayload() {
        // Over the limit: known from the header alone.
        #expect(throws: WebSocketFrameReader.Failure.tooLarge(70_000)) { try Self.read([0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70], splitAt: [], limit: 65_536) }
        #expect(throws: WebSocketFrameReader.Failure.tooLarge(300)) { try Self.read([0x81, 126, 0x01, 0x2C], splitAt: [], limit: 256) }
        #expect(throws: WebSocketFrameReader.Failure.reservedBits) { try Self.read([0xC1, 0x00], splitAt: []) }
        #expect(throws: WebSocketFrameReader.Failure.unknownOpcode(3)) { try Self.read([0x83, 0x00], splitAt: []) }
        #expect(throws: WebSocketFrameReader.Failure.malformedControlFrame) { try Self.read([0x09, 0x00], splitAt: []) }
        #expect(throws: WebSocketFrameReader.Failure.malformedControlFrame) { try Self.read([0x89, 126, 0, 126], splitAt: []) }
    }

    @Test func stopsWhereTheHandlerSaysAndKeepsFragmentsApart() throws {
        let bytes: [UInt8] = [0x01, 0x01, 0x61, 0x80, 0x01, 0x62] + Self.wire([(.close, [0x03, 0xE8]), (.text, [0x63])], masked: true)
        var reader = WebSocketFrameReader(maximumPayloadBytes: 1024)
        var seen: [Seen] = []
        try reader.read(ByteBuffer(bytes: bytes)) { frame in
            seen.append(Seen(fin: frame.fin, opcode: frame.opcode, payload: Array(frame.payload)))
            return frame.opcode != .close
        }
        #expect(seen == [Seen(fin: false, opcode: .text, payload: [0x61]), Seen(fin: true, opcode: .continuation, payload: [0x62]),
                         Seen(fin: true, opcode: .close, payload: [0x03, 0xE8])])
    }
}
