import Logging
import NIOCore
import NIOEmbedded
@testable import Server
import Testing
import Wire

/// The media stream's channel handler on an `EmbeddedChannel`: what goes back on the socket for
/// control frames and for streams that break the protocol before a call is up. No sockets, no
/// sleeps; whole calls are in MediaStreamCallTests and HostileInputTests.
@Suite struct MediaStreamHandlerTests {
    struct Sent: Equatable {
        var opcode: FrameOpcode
        var payload: [UInt8]

        /// A close frame's status code and reason.
        var close: (code: UInt16, reason: String)? {
            guard opcode == .close, payload.count >= 2 else { return nil }
            return (UInt16(payload[0]) << 8 | UInt16(payload[1]), String(decoding: payload.dropFirst(2), as: UTF8.self))
        }
    }

    static func stream(maximumMessageBytes: Int = 4096) throws -> EmbeddedChannel {
        let session = MediaStreamSession(model: LocalAgent(), fallback: nil, pending: PendingModelSessions(health: nil),
                                         registry: CallRegistry(capacity: 4), modelHealth: nil, recorder: nil, metrics: nil,
                                         region: "test", logger: Logger(label: "test"), maximumMessageBytes: maximumMessageBytes)
        let channel = EmbeddedChannel(handler: session.makeHandler(TwilioStream(maximumMessageBytes: maximumMessageBytes)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// Sends a frame as Twilio does (masked, as a client must).
    static func send(_ opcode: FrameOpcode, _ payload: [UInt8], to channel: EmbeddedChannel) throws {
        var frames = WebSocketFrameWriter.client()
        let frame = payload.withUnsafeBytes { frames.frame(opcode, payload: $0, allocator: channel.allocator) }
        try channel.writeInbound(frame)
    }

    /// Every frame the handler wrote.
    static func sent(on channel: EmbeddedChannel) throws -> [Sent] {
        var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 16)
        var frames: [Sent] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            try reader.read(buffer) { frame in
                frames.append(Sent(opcode: frame.opcode, payload: Array(frame.payload)))
                return true
            }
        }
        return frames
    }

    @Test func aPingIsAnsweredWithItsPayloadAndTheStreamStaysOpen() throws {
        let channel = try Self.stream()
        try Self.send(.ping, Array("are you there".utf8), to: channel)
        #expect(try Self.sent(on: channel) == [Sent(opcode: .pong, payload: Array("are you there".utf8))])
        try Self.send(.pong, [], to: channel)
        #expect(try Self.sent(on: channel).isEmpty)
        #expect(channel.isActive)
    }

    @Test func twiliosCloseIsEchoedAndTheConnectionCloses() throws {
        let channel = try Self.stream()
        try Self.send(.close, [0x03, 0xE8] + Array("bye".utf8), to: channel)
        let sent = try Self.sent(on: channel)
        #expect(sent.count == 1 && sent[0].close?.code == 1000)
        #expect(!channel.isActive)
    }

    @Test(arguments: [
        (FrameOpcode.binary, Array("audio".utf8), 1003, "binary frames are not part of twilio's media stream"),
        (.text, Array(#"{"event":"media","media":{"chunk":"1","payload":"AAAA"},"streamSid":"MZ1"}"#.utf8), 1008, "media before start"),
        (.text, Array("{not json".utf8), 1008, "malformed JSON"),
        (.text, Array(#"{"streamSid":"MZ1"}"#.utf8), 1008, "message lacks 'event'"),
    ])
    func aStreamThatBreaksTheProtocolIsClosedWithACodeAndReason(opcode: FrameOpcode, payload: [UInt8], code: UInt16, reason: String) throws {
        let channel = try Self.stream()
        try Self.send(opcode, payload, to: channel)
        let sent = try Self.sent(on: channel)
        #expect(sent.count == 1, "\(sent)")
        let close = try #require(sent.first?.close)
        #expect(close.code == code)
        #expect(close.reason.contains(reason), "\(close.reason)")
        #expect(!channel.isActive)
    }

    @Test func aFrameOverTheMessageLimitIsRefusedWith1009() throws {
        let channel = try Self.stream(maximumMessageBytes: 512)
        try Self.send(.text, [UInt8](repeating: 0x20, count: 600), to: channel)
        let close = try #require(try Self.sent(on: channel).first?.close)
        #expect(close.code == 1009)
        #expect(close.reason == "frame exceeds the message size limit")
    }

    @Test func aFragmentedMessageIsRefused() throws {
        let channel = try Self.stream()
        var frames = WebSocketFrameWriter.client()
        var buffer = channel.allocator.buffer(capacity: 64)
        // A text frame without FIN: the first part of a fragmented message.
        let first = Array(#"{"event":"#.utf8)
        first.withUnsafeBytes { frames.write(.text, payload: $0, into: &buffer) }
        buffer.setInteger(buffer.getInteger(at: 0, as: UInt8.self)! & 0x7F, at: 0)
        try channel.writeInbound(buffer)
        let close = try #require(try Self.sent(on: channel).first?.close)
        #expect(close.code == 1003)
        #expect(close.reason == "fragmented messages are not supported")
    }
}
