/// The WebSocket frame types of RFC 6455 section 5.2 (NIOWebSocket has its own `WebSocketOpcode`).
public enum FrameOpcode: UInt8, Sendable {
    case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA

    /// Close, ping and pong: at most 125 bytes, never fragmented.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
