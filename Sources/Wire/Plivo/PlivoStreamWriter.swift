/// The messages we send Plivo on a bidirectional Audio Stream: `playAudio` (agent audio, with its
/// content type and rate), `checkpoint` (answered by `playedStream` once the audio before it has
/// played: Plivo's marks) and `clearAudio` (drop what is queued).
public struct PlivoStreamWriter: MediaStreamComposer {
    public enum InvalidStreamId: Error { case notPlain }

    private let streamId: [UInt8]
    /// `"contentType":"audio/x-mulaw","sampleRate":8000`, written into every `playAudio`.
    private let format: [UInt8]

    /// `streamId` is Plivo's UUID (letters, digits and hyphens only, so it never needs escaping);
    /// `contentType` and `sampleRate` are the stream's (`audio/x-mulaw` 8000, `audio/x-l16` 8000 or 16000).
    public init(streamId: String, contentType: String, sampleRate: Int) throws(InvalidStreamId) {
        let bytes = Array(streamId.utf8)
        guard !bytes.isEmpty, bytes.count <= 64, bytes.allSatisfy(Self.isPlain), contentType.utf8.allSatisfy(Self.isPlainType) else {
            throw .notPlain
        }
        self.streamId = bytes
        self.format = Array(#""contentType":"\#(contentType)","sampleRate":\#(sampleRate)"#.utf8)
    }

    public func compose(_ message: OutgoingMediaMessage, with writer: inout ByteWriter) {
        switch message {
        case .media(let payload):
            writer.append(#"{"event":"playAudio","streamId":""#)
            writer.append(streamId)
            writer.append(#"","media":{"#)
            writer.append(format)
            writer.append(#","payload":""#)
            writer.appendBase64(payload)
            writer.append(#""}}"#)
        case .mark(let item, let offsetMs):
            writer.append(#"{"event":"checkpoint","streamId":""#)
            writer.append(streamId)
            writer.append(#"","name":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}"#)
        case .clear:
            writer.append(#"{"event":"clearAudio","streamId":""#)
            writer.append(streamId)
            writer.append(#""}"#)
        }
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == UInt8(ascii: "-")
    }

    private static func isPlainType(_ byte: UInt8) -> Bool {
        isPlain(byte) || byte == UInt8(ascii: "/")
    }
}
