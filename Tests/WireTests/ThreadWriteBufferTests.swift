import NIOCore
import Testing
import Wire


/// The reused buffer hot frames are composed in: storage comes back once a frame is dropped,
/// and a frame still held (a write NIO queued) is never written over.
@Suite struct ThreadWriteBufferTests {
    static func compose(_ text: String, capacity: Int = 64) -> ByteBuffer {
        ThreadWriteBuffer.compose(capacity: capacity, allocator: ByteBufferAllocator()) { $0.writeString(text) }
    }

    static func address(of buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test func aDroppedFrameLeavesItsStorageToTheNext() {
        var first: ByteBuffer? = Self.compose("first frame")
        let firstAddress = Self.address(of: first!)
        #expect(first!.readableBytesView.elementsEqual("first frame".utf8))
        first = nil
        let second = Self.compose("second")
        #expect(Self.address(of: second) == firstAddress)
        #expect(second.readableBytesView.elementsEqual("second".utf8))
    }

    @Test func aFrameStillHeldIsNeverWrittenOver() {
        let held = Self.compose("queued by NIO")
        let next = Self.compose("the next frame")
        #expect(held.readableBytesView.elementsEqual("queued by NIO".utf8))
        #expect(next.readableBytesView.elementsEqual("the next frame".utf8))
        #expect(Self.address(of: held) != Self.address(of: next))
    }

    @Test func growsToTheCapacityAsked() {
        let large = String(repeating: "x", count: 5_000)
        let frame = Self.compose(large, capacity: 5_000)
        #expect(frame.readableBytes == 5_000)
        #expect(frame.capacity >= 5_000)
    }
}
