import AudioPipeline
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// Why a model session could not be opened.
public struct ModelConnectionError: Error, CustomStringConvertible {
    public let description: String
}

/// Where and how to open a Realtime-style model socket: the provider-specific part.
struct RealtimeSocket: Sendable {
    var url: String
    var headers: HTTPFields
    /// The provider's `session.update`, sent first.
    var sessionUpdate: String
    var setupTimeout: Duration
    var logger: Logger

    /// Opens a session on this socket; returns once the model confirmed it.
    func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession {
        let session = RealtimeSocketSession(socket: self, delegate: delegate)
        try await session.open()
        return session
    }
}

/// One conversation over a Realtime-style socket (OpenAI Realtime, Azure Voice Live). Caller audio
/// goes through a lock-free ring to the socket's writer; the reader parses server events straight
/// from the frame bytes (GA and beta names) and feeds the delegate.
final class RealtimeSocketSession<Delegate: RealtimeModelDelegate>: RealtimeModelSession {
    /// 20 ms of caller audio in the session's format (pcm16 24 kHz is the largest: 960 bytes).
    struct AudioChunk: BitwiseCopyable {
        var count: Int
        var bytes: InlineArray<960, UInt8>
    }

    private let socket: RealtimeSocket
    private let delegate: Delegate
    /// 32 chunks (640 ms): a model socket that cannot take that much is failing; newer audio is dropped.
    private let audio = SPSCRingBuffer<AudioChunk>(minimumCapacity: 32)
    private let control = Mutex<[String]>([])
    private let bell = Doorbell()
    private let ready = Mutex<CheckedContinuation<Void, any Error>?>(nil)
    /// Set once the model confirmed the session: only a session that was up reports `.closed`
    /// (a failed attempt reports through `open()` throwing instead).
    private let confirmed = Atomic<Bool>(false)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(socket: RealtimeSocket, delegate: Delegate) {
        self.socket = socket
        self.delegate = delegate
    }

    func open() async throws {
        let timeout = socket.setupTimeout
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            ready.withLock { $0 = continuation }
            let task = Task { await self.run() }
            self.task.withLock { $0 = task }
            Task {
                try? await Task.sleep(for: timeout)
                // Still unconfirmed: fail the open and drop the half-open socket.
                if self.resolveReady(ModelConnectionError(description: "model session not confirmed within \(timeout)")) {
                    self.close()
                }
            }
        }
    }

    func appendAudio(_ audio: UnsafeRawBufferPointer) {
        var chunk = AudioChunk(count: min(audio.count, 960), bytes: .init(repeating: 0))
        for index in 0..<chunk.count { chunk.bytes[index] = audio[index] }
        if self.audio.push(chunk) { bell.ring() }
    }

    func truncate(item: String, audioEndMs: Int) {
        let itemJSON = String(decoding: (try? JSONEncoder().encode(item)) ?? Data(), as: UTF8.self)
        send(#"{"type":"conversation.item.truncate","item_id":\#(itemJSON),"content_index":0,"audio_end_ms":\#(audioEndMs)}"#)
    }

    func cancelResponse() { send(#"{"type":"response.cancel"}"#) }

    func close() {
        bell.close()
        task.withLock { $0?.cancel() }
    }

    private func send(_ message: String) {
        control.withLock { $0.append(message) }
        bell.ring()
    }

    /// Completes `open()` once; returns whether this call did it.
    @discardableResult
    private func resolveReady(_ error: (any Error)?) -> Bool {
        let continuation = ready.withLock { value -> CheckedContinuation<Void, any Error>? in
            defer { value = nil }
            return value
        }
        guard let continuation else { return false }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        return true
    }

    private func run() async {
        do {
            let close = try await WebSocketClient.connect(
                url: socket.url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: socket.headers), logger: socket.logger
            ) { inbound, outbound, _ in
                try await outbound.write(.text(self.socket.sessionUpdate))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.writeLoop(outbound) }
                    group.addTask { try await self.readLoop(inbound) }
                    try await group.next()
                    group.cancelAll()
                }
            }
            let reason = close.map { "closed by the model (\($0.closeCode)): \($0.reason ?? "")" } ?? "closed"
            resolveReady(ModelConnectionError(description: reason))
            if confirmed.load(ordering: .acquiring) { delegate.modelEvent(.closed(reason: reason)) }
        } catch {
            resolveReady(ModelConnectionError(description: "model connection failed: \(error)"))
            if confirmed.load(ordering: .acquiring) { delegate.modelEvent(.closed(reason: "\(error)")) }
        }
    }

    private func writeLoop(_ outbound: WebSocketOutboundWriter) async throws {
        var writer = RealtimeMessageWriter()
        while await bell.wait() {
            for message in control.withLock({ queue -> [String] in defer { queue.removeAll() }; return queue }) {
                try await outbound.write(.text(message))
            }
            while let chunk = audio.pop() {
                let frame = withUnsafeBytes(of: chunk.bytes) { bytes in
                    writer.append(UnsafeRawBufferPointer(rebasing: bytes[0..<chunk.count])) { ByteBuffer(bytes: $0) }
                }
                try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame)))
            }
        }
    }

    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        // Grown to the largest delta seen (a 20 ms pcm16 delta is 960 bytes); per call, so kept small.
        var decoded = [UInt8](repeating: 0, count: 4096)
        var itemBytes: [UInt8] = []
        var itemName = ""
        var iterator = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
        while let message = try await iterator.next() {
            guard case .text(var text) = message else { continue }
            // Not reading on while the call's playout buffer is full holds the model back by TCP.
            await delegate.waitForPlaybackRoom()
            text.withUTF8 { bytes in
                let raw = UnsafeRawBufferPointer(bytes)
                guard let (fields, scanner) = try? RealtimeEventFields.scan(raw), let type = fields.type else {
                    delegate.modelEvent(.error("unparseable model event"))
                    return
                }
                if RealtimeEventFields.is(type, in: scanner, "response.output_audio.delta", "response.audio.delta") {
                    guard let data = fields.data, let item = fields.itemID else { return }
                    if !scanner.slice(item).elementsEqual(itemBytes) {
                        itemBytes = Array(scanner.slice(item))
                        itemName = String(decoding: itemBytes, as: UTF8.self)
                    }
                    let needed = RealtimeEventFields.decodedCapacity(of: data)
                    if decoded.count < needed { decoded = [UInt8](repeating: 0, count: needed) }
                    let count = decoded.withUnsafeMutableBytes { try? Base64.decode(scanner.slice(data), into: $0) }
                    guard let count else {
                        delegate.modelEvent(.error("model audio delta is not valid base64"))
                        return
                    }
                    decoded.withUnsafeBytes { delegate.modelAudio(item: itemName, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                } else if RealtimeEventFields.is(type, in: scanner, "session.created", "session.updated") {
                    confirmed.store(true, ordering: .releasing)
                    resolveReady(nil)
                } else if RealtimeEventFields.is(type, in: scanner, "input_audio_buffer.speech_started") {
                    delegate.modelEvent(.speechStarted)
                } else if RealtimeEventFields.is(type, in: scanner, "response.output_audio.done", "response.audio.done") {
                    delegate.modelEvent(.responseDone(item: fields.itemID.map { String(decoding: scanner.slice($0), as: UTF8.self) } ?? itemName))
                } else if RealtimeEventFields.is(type, in: scanner, "response.output_audio_transcript.done", "response.audio_transcript.done"),
                          let transcript = fields.transcript {
                    delegate.modelEvent(.transcript(speaker: .agent, text: String(decoding: scanner.slice(transcript), as: UTF8.self)))
                } else if RealtimeEventFields.is(type, in: scanner, "conversation.item.input_audio_transcription.completed"),
                          let transcript = fields.transcript {
                    delegate.modelEvent(.transcript(speaker: .caller, text: String(decoding: scanner.slice(transcript), as: UTF8.self)))
                } else if RealtimeEventFields.is(type, in: scanner, "error") {
                    let message = fields.errorMessage.map { String(decoding: scanner.slice($0), as: UTF8.self) } ?? "unknown error"
                    delegate.modelEvent(.error(message))
                }
            }
        }
    }
}
