import NIOWebSocket

/// How the relay ends a media stream: the WebSocket close code and the reason the
/// carrier's debugger shows.
struct MediaStreamClosure: Error, Equatable {
    let code: WebSocketErrorCode
    let reason: String
}
