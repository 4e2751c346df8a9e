@testable import AudioPipeline
import Foundation
import Testing

@Suite struct SPSCRingBufferTests {
    @Test func capacityRoundsUpToAPowerOfTwo() {
        #expect(SPSCRingBuffer<Int32>(minimumCapacity: 1).capacity == 1)
        #expect(SPSCRingBuffer<Int32>(minimumCapacity: 100).capacity == 128)
        #expect(SPSCRingBuffer<Int32>(minimumCapacity: 128).capacity == 128)
    }

    @Test func bulkWritesWrapAndAFullRingRefusesTheExcess() {
        let ring = SPSCRingBuffer<Int32>(minimumCapacity: 8)
        var out = [Int32](repeating: 0, count: 8)
        var next: Int32 = 0
        var expected: Int32 = 0
        for round in 0..<50 {
            let batch = (0..<Int32(round % 7 + 1)).map { _ -> Int32 in defer { next += 1 }; return next }
            let taken = batch.withUnsafeBufferPointer { ring.write($0) }
            #expect(taken == min(batch.count, 8 - ring.count + taken))
            next -= Int32(batch.count - taken)  // what was refused is offered again next round
            let read = out.withUnsafeMutableBufferPointer { ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<(round % 5 + 1)])) }
            for value in out[0..<read] {
                #expect(value == expected)
                expected += 1
            }
        }
        let full = SPSCRingBuffer<Int32>(minimumCapacity: 4)
        #expect([1, 2, 3, 4, 5, 6].withUnsafeBufferPointer { full.write($0) } == 4)
        #expect(full.push(7) == false)
        #expect(full.pop() == 1)
        #expect(full.push(7))
    }

    /// Two threads, millions of items in random-sized bulk batches: every item arrives once, in order.
    /// Also run under ThreadSanitizer by the test command (`swift test --sanitize=thread`).
    @Test func concurrentProducerAndConsumerLoseAndReorderNothing() async {
        let total = 4_000_000
        let ring = SPSCRingBuffer<UInt32>(minimumCapacity: 1024)
        let producer = Thread {
            var batch = [UInt32](repeating: 0, count: 97)
            var next: UInt32 = 0
            var size = 1
            while next < UInt32(total) {
                size = size % 97 + 1
                let count = min(size, total - Int(next))
                for index in 0..<count { batch[index] = next + UInt32(index) }
                let taken = batch.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                next += UInt32(taken)
                if taken == 0 { sched_yield() }
            }
        }
        producer.start()
        var expected: UInt32 = 0
        var outOfOrder = 0
        var buffer = [UInt32](repeating: 0, count: 61)
        var size = 1
        while expected < UInt32(total) {
            size = size % 61 + 1
            let read = buffer.withUnsafeMutableBufferPointer { ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<size])) }
            for value in buffer[0..<read] {
                if value != expected { outOfOrder += 1 }
                expected = value + 1
            }
            if read == 0 { sched_yield() }
        }
        #expect(outOfOrder == 0)
        #expect(expected == UInt32(total))
        #expect(ring.count == 0)
    }
}
