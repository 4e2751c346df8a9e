/// What the relay sends Vonage on a call's WebSocket: agent audio as binary frames of raw linear
/// PCM (20 ms each, in the stream's rate), `notify` with the mark's name in its payload (Vonage
/// answers `websocket:notify` once the audio before it has played) and `clear`, which drops the
/// audio Vonage has queued.
public struct VonageStreamWriter: MediaStreamComposer {
    public init() {}

    public func opcode(of message: OutgoingMediaMessage) -> FrameOpcode {
        if case .media = message { return .binary }
        return .text
    }

    public func compose(_ message: OutgoingMediaMessage, with writer: inout ByteWriter) {
        switch message {
        case .media(let payload):
            writer.append(bytes: payload)
        case .mark(let item, let offsetMs):
            writer.append(#"{"action":"notify","payload":{"mark":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}}"#)
        case .clear:
            writer.append(#"{"action":"clear"}"#)
        }
    }
}
