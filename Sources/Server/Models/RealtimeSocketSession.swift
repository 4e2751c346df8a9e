import Atomics
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Wire

/// One conversation over a Realtime-style socket (OpenAI Realtime, Azure Voice Live), as a
/// SwiftNIO channel: the ``RealtimeSocketHandler`` on the channel's event loop reads server events
/// straight from the frame bytes and feeds the delegate inline, and caller audio is written from
/// whichever thread delivers it (directly when that is the channel's own loop, which is the
/// call's Twilio loop: no thread hop, no task, no queue).
final class RealtimeSocketSession<Delegate: RealtimeModelDelegate>: RealtimeModelSession {
    private let channel: any Channel
    private let handler: NIOLoopBound<RealtimeSocketHandler<Delegate>>
    private let messages: RealtimeControlMessages

    private init(channel: any Channel, handler: NIOLoopBound<RealtimeSocketHandler<Delegate>>, messages: RealtimeControlMessages) {
        self.channel = channel
        self.handler = handler
        self.messages = messages
    }

    /// Client TLS with the system's trust roots and hostname verification.
    private static var tlsContext: NIOSSLContext {
        get throws { try sharedTLSContext.get() }
    }

    static func open(endpoint: RealtimeSocket.Endpoint, socket: RealtimeSocket, delegate: Delegate,
                     on loop: any EventLoop) async throws -> RealtimeSocketSession {
        let ready = SessionConfirmation(loop.makePromise(of: Void.self))
        let tls = endpoint.secure ? try tlsContext : nil
        let headers = socket.headers.map { ($0.name.rawName, $0.value) }
        let update = socket.sessionUpdate
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(TimeAmount(socket.setupTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                // 16 KiB of appends (a quarter second) may wait for a model not reading; then audio is dropped.
                .channelOption(ChannelOptions.writeBufferWaterMark, value: UpgradeGate.writeBufferWaterMark)
                // One pooled read buffer per model socket, not four, and (NIO keeps a channel's
                // largest) at most 16 KiB: bigger events take more reads.
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
                .channelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 2048, maximum: 16 * 1024))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = RealtimeSocketHandler(delegate: delegate, sessionUpdate: update, ready: ready)
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: endpoint.host))
                        }
                        try channel.pipeline.syncOperations.addHandler(ClientHandshakeHandler(
                            hostHeader: endpoint.hostHeader, path: endpoint.target, headers: headers,
                            next: handler, failed: { handler.fail(ModelConnectionError(description: "model upgrade failed: \($0)")) }))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            let failure = ModelConnectionError(description: "model connection failed: \(error)")
            ready.fail(failure)
            throw failure
        }
        let timeout = socket.setupTimeout
        let expiry = loop.scheduleTask(in: TimeAmount(timeout)) {
            // Still unconfirmed: fail the open and drop the half-open socket.
            ready.fail(ModelConnectionError(description: "model session not confirmed within \(timeout)"))
            channel.close(promise: nil)
        }
        do {
            try await ready.future.get()
            expiry.cancel()
        } catch {
            expiry.cancel()
            try? await channel.close()
            throw error
        }
        let handler = try await loop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RealtimeSocketHandler<Delegate>.self), eventLoop: loop)
        }.get()
        return RealtimeSocketSession(channel: channel, handler: handler, messages: socket.messages)
    }

    func appendAudio(_ audio: UnsafeRawBufferPointer) {
        if channel.eventLoop.inEventLoop {
            handler.value.sendAudio(audio)
            return
        }
        let copy = Array(audio)
        let handler = self.handler
        channel.eventLoop.execute { copy.withUnsafeBytes { handler.value.sendAudio($0) } }
    }

    func truncate(item: String, audioEndMs: Int) { send(messages.truncate(item: item, audioEndMs: audioEndMs)) }

    func cancelResponse() { send(RealtimeControlMessages.cancelResponse) }

    func sendDigit(_ digit: String) {
        send(messages.message(ConversationTurn(speaker: .caller, text: RealtimeControlMessages.digitText(digit))))
        send(RealtimeControlMessages.createResponse)
    }

    func restore(history: [ConversationTurn]) {
        for turn in history { send(messages.message(turn)) }
    }

    func close() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.closeSocket() }
    }

    private func send(_ text: String) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.sendText(text) }
    }
}

/// Made once: building a client TLS context loads the trust store.
private let sharedTLSContext = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

/// The promise `open` waits on: completed once, by whichever comes first (the model's
/// confirmation, the connection failing, the set-up timeout).
final class SessionConfirmation: Sendable {
    private let promise: EventLoopPromise<Void>
    private let done = ManagedAtomic<Bool>(false)

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    var future: EventLoopFuture<Void> { promise.futureResult }

    /// Whether this completed it (false: it had already failed, e.g. timed out).
    @discardableResult
    func succeed() -> Bool {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        promise.succeed()
        return true
    }
    func fail(_ error: any Error) { if !done.exchange(true, ordering: .acquiringAndReleasing) { promise.fail(error) } }
}
