import Atomics
import Foundation
@testable import Simulators
import NIOCore
import Testing
import Wire

/// The simulated model's echo voice (the load run's model) against a relay that stops reading its model socket (as
/// the relay does under back-pressure): the stand-in must hold its replies back, not queue them
/// without bound (a 30-minute soak at 500 saturated calls once grew it to 22 GB).
@Suite struct SimulatedModelBackPressureTests {
    @Test func repliesToAPeerThatDoesNotReadAreHeldBackNotQueued() async throws {
        let model = try await SimulatedModel.start(.init(voice: .echo), recording: ManagedAtomic(true))
        let timeline = CallTimeline(index: 0)
        model.binder.expect(timeline) {}
        let socket = try LoopbackClient(port: model.port)
        defer { socket.close() }
        try socket.send(Array("GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        // 20 ms of pcm16 24 kHz in base64, as the relay appends it; 30 MB of replies in all, far
        // more than the loopback socket buffers and NIO's 64 KiB write water mark hold.
        let append = Array(#"{"type":"input_audio_buffer.append","audio":""#.utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 1280)
            + Array(#""}"#.utf8)
        var writer = WebSocketFrameWriter.client()
        let appends = 24_000
        for _ in 0..<appends {
            var frame = append.withUnsafeBytes { writer.frame(.text, payload: $0, allocator: ByteBufferAllocator()) }
            try socket.send(frame.readBytes(length: frame.readableBytes)!)
        }
        // Never reading: wait until the stand-in has read every append.
        let deadline = ContinuousClock.now + .seconds(20)
        while timeline.modelFramesReceived.load(ordering: .relaxed) < appends, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let sent = timeline.modelFramesSent.load(ordering: .relaxed)
        let heldBack = timeline.modelFramesHeldBack.load(ordering: .relaxed)
        #expect(timeline.modelFramesReceived.load(ordering: .relaxed) == appends)
        #expect(sent + heldBack == appends)
        #expect(heldBack > appends / 2, "sent \(sent) replies to a peer that read none, held back \(heldBack)")
        await model.shutdown()
    }
}

/// A blocking TCP client on 127.0.0.1 that only writes.
private struct LoopbackClient {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            _ = Foundation.close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            offset += written
        }
    }

    func close() { _ = Foundation.close(descriptor) }
}
