/// The messages we send Twilio (`media`, `mark`, `clear`), composed straight into the text
/// frame that carries them, with the audio base64-encoded in place (see ``MediaStreamComposer``).
public struct MediaStreamWriter: MediaStreamComposer {
    public typealias Message = OutgoingMediaMessage
    public enum InvalidStreamSid: Error { case notAlphanumeric }

    private let streamSid: [UInt8]

    /// `streamSid` is Twilio's `MZ...` id; only letters and digits are accepted (so it never needs escaping).
    public init(streamSid: String) throws(InvalidStreamSid) {
        let bytes = Array(streamSid.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .notAlphanumeric
        }
        self.streamSid = bytes
    }

    public func compose(_ message: OutgoingMediaMessage, with writer: inout ByteWriter) {
        switch message {
        case .media(let payload):
            // {"event":"media","streamSid":"MZ...","media":{"payload":"<base64>"}}
            writer.append(#"{"event":"media","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","media":{"payload":""#)
            writer.appendBase64(payload)
            writer.append(#""}}"#)
        case .mark(let item, let offsetMs):
            // {"event":"mark","streamSid":"MZ...","mark":{"name":"<item>:<offsetMs>"}}
            writer.append(#"{"event":"mark","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","mark":{"name":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}}"#)
        case .clear:
            // {"event":"clear","streamSid":"MZ..."}: Twilio drops everything it has buffered.
            writer.append(#"{"event":"clear","streamSid":""#)
            writer.append(streamSid)
            writer.append(#""}"#)
        }
    }
}
