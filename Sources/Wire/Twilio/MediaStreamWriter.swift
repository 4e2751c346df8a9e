import NIOCore

/// The messages we send Twilio (`media`, `mark`, `clear`), composed straight into the text
/// frame that carries them, with the audio base64-encoded in place: no buffer of its own, no
/// copy, no allocation besides the frame's. One definition per message both measures it and
/// writes it, so the frame header always matches.
public struct MediaStreamWriter: Sendable {
    public enum InvalidStreamSid: Error { case notAlphanumeric }

    public enum Message {
        /// `{"event":"media","streamSid":"MZ...","media":{"payload":"<base64>"}}`
        case media(payload: UnsafeRawBufferPointer)
        /// `{"event":"mark","streamSid":"MZ...","mark":{"name":"<item>:<offsetMs>"}}`; see ``MarkName``.
        case mark(item: UInt32, offsetMs: UInt32)
        /// `{"event":"clear","streamSid":"MZ..."}`: Twilio drops everything it has buffered.
        case clear
    }

    private let streamSid: [UInt8]

    /// `streamSid` is Twilio's `MZ...` id; only letters and digits are accepted (so it never needs escaping).
    public init(streamSid: String) throws(InvalidStreamSid) {
        let bytes = Array(streamSid.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .notAlphanumeric
        }
        self.streamSid = bytes
    }

    /// The message's length in bytes.
    public func byteCount(of message: Message) -> Int {
        var counter = ByteWriter(nil)
        compose(message, with: &counter)
        return counter.position
    }

    /// Writes the message into `output`, which holds exactly ``byteCount(of:)`` bytes.
    public func write(_ message: Message, into output: UnsafeMutableRawBufferPointer) {
        var writer = ByteWriter(output)
        compose(message, with: &writer)
    }

    /// Bytes the message takes as a frame.
    public func frameBytes(of message: Message) -> Int {
        WebSocketFrameWriter.server.frameBytes(payloadCount: byteCount(of: message))
    }

    /// The message as one text frame, in a buffer of its own.
    public func frame(_ message: Message, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frames = WebSocketFrameWriter.server
        return frames.frame(.text, payloadCount: byteCount(of: message), allocator: allocator) { write(message, into: $0) }
    }

    /// Appends the message to `buffer` as one text frame.
    public func appendFrame(_ message: Message, to buffer: inout ByteBuffer) {
        var frames = WebSocketFrameWriter.server
        frames.write(.text, payloadCount: byteCount(of: message), into: &buffer) { write(message, into: $0) }
    }

    private func compose(_ message: Message, with writer: inout ByteWriter) {
        switch message {
        case .media(let payload):
            writer.append(#"{"event":"media","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","media":{"payload":""#)
            writer.appendBase64(payload)
            writer.append(#""}}"#)
        case .mark(let item, let offsetMs):
            writer.append(#"{"event":"mark","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","mark":{"name":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}}"#)
        case .clear:
            writer.append(#"{"event":"clear","streamSid":""#)
            writer.append(streamSid)
            writer.append(#""}"#)
        }
    }
}
