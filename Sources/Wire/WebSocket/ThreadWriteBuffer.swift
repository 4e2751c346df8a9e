import NIOCore
import NIOPosix

/// The buffer a thread composes its hot outgoing frames in (caller media, model appends), reused
/// frame after frame so that steady state allocates nothing per frame.
///
/// A write NIO completes at once releases the storage before the thread's next frame, and
/// `ByteBuffer.clear` then reuses it; a write NIO has to queue (a full socket, or a write handed
/// to another thread's loop) keeps its storage, and the next frame gets new storage, copying
/// nothing. One per thread rather than one per socket: the memory scales with event loops, not
/// with calls.
///
/// `@unchecked Sendable`: each instance is reached only through the thread-specific variable of
/// the thread that created it.
package final class ThreadWriteBuffer: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<ThreadWriteBuffer>()
    private var buffer: ByteBuffer

    private init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Lets `compose` append to this thread's empty buffer (room for `capacity` bytes reserved)
    /// and returns what it wrote, to be handed to NIO and then dropped.
    package static func compose(capacity: Int, allocator: ByteBufferAllocator, _ compose: (inout ByteBuffer) -> Void) -> ByteBuffer {
        let scratch: ThreadWriteBuffer
        if let current = perThread.currentValue {
            scratch = current
            scratch.buffer.clear(minimumCapacity: capacity)
        } else {
            scratch = ThreadWriteBuffer(buffer: allocator.buffer(capacity: capacity))
            perThread.currentValue = scratch
        }
        compose(&scratch.buffer)
        return scratch.buffer
    }
}
