/// Why a Media Streams message was refused. Each ends the stream with a clear close reason;
/// none can affect another call.
public enum MediaStreamProtocolError: Error, Equatable, CustomStringConvertible {
    case messageTooLarge(bytes: Int, limit: Int)
    case malformedJSON(String)
    case missingField(String)
    case invalidField(String)
    case invalidPayload(String)
    case wrongStreamSid

    public var description: String {
        switch self {
        case .messageTooLarge(let bytes, let limit): "message of \(bytes) bytes exceeds the \(limit)-byte limit"
        case .malformedJSON(let detail): detail
        case .missingField(let name): "message lacks '\(name)'"
        case .invalidField(let name): "invalid value for '\(name)'"
        case .invalidPayload(let detail): "media payload: \(detail)"
        case .wrongStreamSid: "streamSid does not match this stream"
        }
    }
}
