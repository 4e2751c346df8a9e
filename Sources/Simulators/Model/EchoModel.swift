import Atomics
import NIOCore
import NIOPosix
import Synchronization
import Wire

/// The model stand-in a load run bridges calls to: an OpenAI-Realtime-shaped WebSocket server
/// that confirms every session and answers each `input_audio_buffer.append` at once with a
/// `response.output_audio.delta` carrying the same audio (an echoing model, the reference
/// setup the Python bridges are measured with). Its base64 is copied, never decoded.
///
/// One event-loop thread serves every connection, and it stamps what it receives and sends in
/// the call's ``CallTimeline``: that is how relay-added latency is matched frame by frame.
final class EchoModel: Sendable {
    let group: MultiThreadedEventLoopGroup
    let binder: CallBinder
    private let statistics: NIOLoopBound<ModelStatistics>
    private let channel: any Channel

    var port: Int { channel.localAddress?.port ?? 0 }
    var loop: any EventLoop { group.next() }

    init(port: Int, recording: ManagedAtomic<Bool>) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let binder = CallBinder()
        let statistics = try await loop.submit { NIOLoopBound(ModelStatistics(), eventLoop: loop) }.get()
        self.group = group
        self.binder = binder
        self.statistics = statistics
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handshake = ServerHandshakeHandler { path in
                        guard path.hasPrefix("/v1/realtime") else { return nil }
                        return EchoModelConnection(binder: binder, statistics: statistics.value, recording: recording)
                    }
                    try channel.pipeline.syncOperations.addHandler(handshake)
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    /// Fault injection: closes every model session at once (1001, going away), as a model
    /// service restarting would. Returns how many were open.
    func dropAllSessions() async throws -> Int {
        let statistics = self.statistics
        return try await loop.submit {
            let open = statistics.value.connections
            statistics.value.connections.removeAll()
            statistics.value.drops += open.count
            for channel in open.values {
                var frames = WebSocketFrameWriter.server
                channel.writeAndFlush(frames.close(code: 1001, allocator: channel.allocator)).whenComplete { _ in  // going away
                    channel.close(promise: nil)
                }
            }
            return open.count
        }.get()
    }

    /// What the stand-in saw, read on its own thread.
    func snapshot() async throws -> ModelStatistics.Snapshot {
        let statistics = self.statistics
        return try await loop.submit { statistics.value.snapshot() }.get()
    }

    func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Hands each new call to the model connection that serves it. The generator opens calls one at
/// a time: it posts the call here before sending `start`, and the first connection to send
/// audio afterwards is that call's (the relay opens its model session on `start`). Connections
/// that never send audio (the relay's health probes) are never bound.
final class CallBinder: Sendable {
    private struct Pending {
        var timeline: CallTimeline
        var bound: @Sendable () -> Void
    }
    private let pending = Mutex<Pending?>(nil)

    func expect(_ timeline: CallTimeline, bound: @escaping @Sendable () -> Void) {
        pending.withLock { $0 = Pending(timeline: timeline, bound: bound) }
    }

    func bind() -> CallTimeline? {
        guard let taken = pending.withLock({ value -> Pending? in defer { value = nil }; return value }) else { return nil }
        taken.bound()
        return taken.timeline
    }
}

/// Counters and the inbound latency histogram of the model stand-in; confined to its loop.
final class ModelStatistics {
    struct Snapshot: Sendable {
        var inbound: LatencyHistogram
        var cancels: Int
        var truncations: Int
        var unboundAppends: Int
        var drops: Int
        var threadCPUSeconds: Double
    }

    var inbound = LatencyHistogram()
    var cancels = 0
    var truncations = 0
    var unboundAppends = 0
    var drops = 0
    /// Open sessions, for fault injection.
    var connections: [ObjectIdentifier: any Channel] = [:]

    func snapshot() -> Snapshot {
        Snapshot(inbound: inbound, cancels: cancels, truncations: truncations, unboundAppends: unboundAppends, drops: drops,
                 threadCPUSeconds: ThreadCPU.seconds())
    }
}

/// One model session of the stand-in.
final class EchoModelConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let deltaPrefix: StaticString = #"{"type":"response.output_audio.delta","response_id":"resp_echo","item_id":"item_echo","output_index":0,"content_index":0,"delta":""#
    private static let deltaSuffix: StaticString = #""}"#

    private let binder: CallBinder
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 20)
    private var frames = WebSocketFrameWriter.server
    private let statistics: ModelStatistics
    private let recording: ManagedAtomic<Bool>
    private var timeline: CallTimeline?
    /// Opened after a fault: not one of the calls the generator is binding.
    private let reconnected: Bool

    init(binder: CallBinder, statistics: ModelStatistics, recording: ManagedAtomic<Bool>) {
        self.reconnected = statistics.drops > 0
        self.binder = binder
        self.statistics = statistics
        self.recording = recording
    }

    func handlerAdded(context: ChannelHandlerContext) {
        statistics.connections[ObjectIdentifier(context.channel)] = context.channel
        send(#"{"type":"session.created","event_id":"event_1","session":{"type":"realtime"}}"#, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                switch frame.opcode {
                case .text:
                    handle(frame.payload, context: context)
                case .close:
                    context.writeAndFlush(wrapOutboundOut(frames.close(code: 1000, allocator: context.channel.allocator)), promise: nil)
                    context.close(promise: nil)
                    return false
                case .ping:
                    write(.pong, Array(frame.payload), context: context)
                case .binary, .continuation, .pong:
                    break
                }
                return true
            }
        } catch {
            context.close(promise: nil)
        }
    }

    private func handle(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        guard let (fields, scanner) = try? RealtimeEventFields.scan(bytes), let type = fields.type else { return }
        if scanner.matches(type, "input_audio_buffer.append") {
            let received = NIODeadline.now().uptimeNanoseconds
            if timeline == nil, !reconnected { timeline = binder.bind() }
            guard let audio = fields.data?.range else { return }
            if let timeline, let latency = timeline.modelReceived(at: received), recording.load(ordering: .relaxed) {
                statistics.inbound.record(ns: latency)
            }
            // A session the relay reopened after a drop is not matched to its call: echoed, not timed.
            if timeline == nil { statistics.unboundAppends += 1 }
            // A relay that stopped reading this socket is not sent more than NIO's write buffer holds.
            guard context.channel.isWritable else {
                timeline?.modelFramesHeldBack.wrappingIncrement(ordering: .relaxed)
                return
            }
            let count = Self.deltaPrefix.utf8CodeUnitCount + audio.count + Self.deltaSuffix.utf8CodeUnitCount
            // The delta composed in the frame: prefix, the append's base64 as it came, suffix.
            let reply = frames.frame(.text, payloadCount: count, allocator: context.channel.allocator) { output in
                let prefixCount = Self.deltaPrefix.utf8CodeUnitCount
                output.baseAddress!.copyMemory(from: Self.deltaPrefix.utf8Start, byteCount: prefixCount)
                (output.baseAddress! + prefixCount).copyMemory(from: bytes.baseAddress! + audio.lowerBound, byteCount: audio.count)
                (output.baseAddress! + prefixCount + audio.count).copyMemory(from: Self.deltaSuffix.utf8Start,
                                                                            byteCount: Self.deltaSuffix.utf8CodeUnitCount)
            }
            timeline?.modelSent(at: NIODeadline.now().uptimeNanoseconds)
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        } else if scanner.matches(type, "session.update") {
            send(#"{"type":"session.updated","session":{"type":"realtime"}}"#, context: context)
        } else if scanner.matches(type, "response.cancel") {
            statistics.cancels += 1
            send(#"{"type":"response.done","response":{"status":"cancelled"}}"#, context: context)
        } else if scanner.matches(type, "conversation.item.truncate") {
            statistics.truncations += 1
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        write(.text, Array(text.utf8), context: context)
    }

    private func write(_ opcode: FrameOpcode, _ payload: [UInt8], context: ChannelHandlerContext) {
        let frame = payload.withUnsafeBytes { frames.frame(opcode, payload: $0, allocator: context.channel.allocator) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        statistics.connections[ObjectIdentifier(context.channel)] = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
