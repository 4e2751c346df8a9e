import Foundation
import NIOCore
import NIOPosix
import Wire

/// The floor relay of `Benchmarks/FloorRelay/floor_relay.c` on SwiftNIO: the same messages moved
/// the same way (WebSocket upgrade and frames on both sides with the relay's own `Wire`,
/// the model session opened on `start`, base64 copied from `media` to `append` and from `delta`
/// to `media`, a `mark` every fifth frame in the same write), on event loops and channel
/// pipelines as the relay runs them, one loop per core, each call's model socket on its caller's
/// loop. No JSON parser, no base64 decoding, no audio work, no Hummingbird. Beside the C floor
/// and the relay (`scripts/measure/relay-ab.sh`), it splits the relay's cost above the floor into what
/// SwiftNIO's channels cost and what the relay's own work costs.
/// Run: OPENAI_REALTIME_URL=ws://127.0.0.1:PORT/v1/realtime NIOFloorRelay serve --host 127.0.0.1 --port 7070

/// What the floor looks for in the messages (by byte search, as the load tools do) and writes.
enum Fields {
    static let event = JSONField("event")
    static let payload = JSONField("payload")
    static let streamSid = JSONField("streamSid")
    static let type = JSONField("type")
    static let delta = JSONField("delta")
    static let media = Array("media".utf8)
    static let start = Array("start".utf8)
    static let audioDelta = Array("response.output_audio.delta".utf8)
    nonisolated(unsafe) static let appendPrefix = bytes(#"{"type":"input_audio_buffer.append","audio":""#)
    nonisolated(unsafe) static let closing = bytes(#""}"#)
    /// Closes a caller `media` or `mark` message (the value, then its object, then the message).
    nonisolated(unsafe) static let nestedClosing = bytes(#""}}"#)

    /// A literal's bytes, which stay where they are for the life of the process.
    static func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
}

extension WebSocketFrameWriter {
    /// Appends one text frame whose payload is `first`, `second` and `third` in a row, composed
    /// where it lies (no message buffer copied into the frame).
    mutating func write(_ opcode: FrameOpcode, parts first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                        _ third: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        write(opcode, payloadCount: first.count + second.count + third.count, into: &buffer) { output in
            let start = output.baseAddress!
            start.copyMemory(from: first.baseAddress!, byteCount: first.count)
            (start + first.count).copyMemory(from: second.baseAddress!, byteCount: second.count)
            (start + first.count + second.count).copyMemory(from: third.baseAddress!, byteCount: third.count)
        }
    }
}

/// The caller's socket: reads Twilio messages, opens and feeds the model session.
final class CallerSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let modelAddress: SocketAddress
    let modelPath: String
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 16)
    private var model: ModelSide?

    init(modelAddress: SocketAddress, modelPath: String) {
        self.modelAddress = modelAddress
        self.modelPath = modelPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                switch frame.opcode {
                case .text: handle(frame.payload, context: context)
                case .close:
                    context.close(promise: nil)
                    return false
                default: break
                }
                return true
            }
        } catch {
            context.close(promise: nil)
        }
    }

    private func handle(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        if Fields.event.has(Fields.media, in: bytes), let payload = Fields.payload.range(in: bytes) {
            model?.append(UnsafeRawBufferPointer(rebasing: bytes[payload]))
        } else if Fields.event.has(Fields.start, in: bytes), model == nil, let sid = Fields.streamSid.range(in: bytes) {
            let model = ModelSide(caller: context.channel, streamSid: Array(bytes[sid]))
            self.model = model
            let path = modelPath
            let caller = context.channel
            // The model's channel is on the caller's loop, where `model` lives.
            let bound = NIOLoopBound(model, eventLoop: context.eventLoop)
            ClientBootstrap(group: context.eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ClientHandshakeHandler(hostHeader: "127.0.0.1", path: path, next: bound.value, failed: { _ in caller.close(promise: nil) }))
                    }
                }
                .connect(to: modelAddress)
                .whenFailure { _ in caller.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        model?.close()
        context.fireChannelInactive()
    }
}

/// The model's socket: turns audio deltas into caller `media` frames.
final class ModelSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let caller: any Channel
    private let mediaPrefix: [UInt8]
    private let markPrefix: [UInt8]
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 16)
    private var frames = WebSocketFrameWriter.client()
    private let callerFrames = WebSocketFrameWriter.server
    private var context: ChannelHandlerContext?
    /// Appends composed before the upgrade completed.
    private var pending: [ByteBuffer] = []
    private var framesToCaller = 0

    init(caller: any Channel, streamSid: [UInt8]) {
        self.caller = caller
        let sid = String(decoding: streamSid, as: UTF8.self)
        mediaPrefix = Array(#"{"event":"media","streamSid":"\#(sid)","media":{"payload":""#.utf8)
        markPrefix = Array(#"{"event":"mark","streamSid":"\#(sid)","mark":{"name":"1:"#.utf8)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        for buffer in pending { context.write(wrapOutboundOut(buffer), promise: nil) }
        pending = []
        context.flush()
    }

    func append(_ payload: UnsafeRawBufferPointer) {
        var frame = (context?.channel.allocator ?? caller.allocator).buffer(capacity: 0)
        frames.write(.text, parts: Fields.appendPrefix, payload, Fields.closing, into: &frame)
        if let context { context.writeAndFlush(wrapOutboundOut(frame), promise: nil) } else { pending.append(frame) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                if frame.opcode == .text { handle(frame.payload) }
                if frame.opcode == .close {
                    context.close(promise: nil)
                    return false
                }
                return true
            }
        } catch {
            context.close(promise: nil)
        }
    }

    private func handle(_ bytes: UnsafeRawBufferPointer) {
        guard Fields.type.has(Fields.audioDelta, in: bytes), let range = Fields.delta.range(in: bytes) else { return }
        let delta = UnsafeRawBufferPointer(rebasing: bytes[range])
        framesToCaller += 1
        var writer = callerFrames
        var buffer = caller.allocator.buffer(capacity: 0)
        mediaPrefix.withUnsafeBytes { writer.write(.text, parts: $0, delta, Fields.nestedClosing, into: &buffer) }
        if framesToCaller % 5 == 0 {
            var offset = String(framesToCaller * 20)  // a small string: no allocation
            offset.withUTF8 { digits in
                markPrefix.withUnsafeBytes { writer.write(.text, parts: $0, UnsafeRawBufferPointer(digits), Fields.nestedClosing, into: &buffer) }
            }
        }
        caller.writeAndFlush(buffer, promise: nil)
    }

    func close() { context?.close(promise: nil) }

    func channelInactive(context: ChannelHandlerContext) {
        caller.close(promise: nil)
        context.fireChannelInactive()
    }
}

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let host = option("--host") ?? "127.0.0.1"
let port = Int(option("--port") ?? "7070")!
guard host == "127.0.0.1" else { fatalError("NIOFloorRelay serves 127.0.0.1 only") }
guard let url = ProcessInfo.processInfo.environment["OPENAI_REALTIME_URL"].flatMap(URL.init(string:)),
      url.host == "127.0.0.1", let modelPort = url.port else {
    fatalError("set OPENAI_REALTIME_URL=ws://127.0.0.1:PORT/PATH (the model stand-in)")
}
let modelAddress = try SocketAddress(ipAddress: "127.0.0.1", port: modelPort)
let modelPath = url.path + (url.query.map { "?" + $0 } ?? "")
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let server = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 4096)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ServerHandshakeHandler { _ in
                CallerSide(modelAddress: modelAddress, modelPath: modelPath)
            })
        }
    }
    .bind(host: host, port: port).get()
let stop = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .main)
signal(SIGTERM, SIG_IGN)
stop.setEventHandler { exit(0) }
stop.resume()
try await server.closeFuture.get()
