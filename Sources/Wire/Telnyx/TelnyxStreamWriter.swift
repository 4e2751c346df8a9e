/// The messages we send Telnyx on a bidirectional (RTP mode) stream: `media` with a base64 RTP
/// payload in the stream's codec, `mark` (echoed once the media before it has played) and
/// `clear`. Telnyx needs no stream id in them: the socket names the stream.
public struct TelnyxStreamWriter: MediaStreamComposer {
    public init() {}

    public func compose(_ message: OutgoingMediaMessage, with writer: inout ByteWriter) {
        switch message {
        case .media(let payload):
            writer.append(#"{"event":"media","media":{"payload":""#)
            writer.appendBase64(payload)
            writer.append(#""}}"#)
        case .mark(let item, let offsetMs):
            writer.append(#"{"event":"mark","mark":{"name":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}}"#)
        case .clear:
            writer.append(#"{"event":"clear"}"#)
        }
    }
}
