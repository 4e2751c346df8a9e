import AudioPipeline
import Testing

@Suite struct OutboundPathTests {
    @Test func modelChunksOfAnySizeBecomeWholeTaggedFrames() {
        let ring = OutboundFrameRing(minimumCapacity: 256, encoding: .muLaw)
        var path = OutboundPath(format: .pcm16(sampleRate: 24000))
        // 1 s of model audio in awkward chunk sizes (odd ones split samples across chunks).
        let bytes = TestAudio.pcm16Bytes(TestAudio.sine(440, rate: 24000, count: 24000))
        var offset = 0
        for size in [1, 1001, 7, 4800, 333, 12000] + Array(repeating: 2000, count: 20) where offset < bytes.count {
            let end = min(offset + size, bytes.count)
            bytes[offset..<end].withUnsafeBytes { path.append($0, item: 1, into: ring) }
            offset = end
        }
        path.finishItem(into: ring)
        var frames: [OutboundFrame] = []
        while let frame = ring.pop() { frames.append(frame) }
        #expect(frames.count == 50)
        #expect(frames.map(\.endOffsetMs) == (1...50).map { UInt32($0 * 20) })
        #expect(frames.allSatisfy { $0.item == 1 })

        // The next item starts over at 20 ms, after the previous one's partial frame is padded out.
        let half = TestAudio.pcm16Bytes(TestAudio.sine(440, rate: 24000, count: 360))
        half.withUnsafeBytes { path.append($0, item: 2, into: ring) }
        half.withUnsafeBytes { path.append($0, item: 3, into: ring) }
        path.finishItem(into: ring)
        let next = [ring.pop(), ring.pop()]
        #expect(next.map { $0?.item } == [2, 3])
        #expect(next.map { $0?.endOffsetMs } == [20, 20])
        #expect(ring.pop() == nil)
    }

    /// Each item's first frame carries when its first audio arrived, and no other frame does, so
    /// the sink measures the relay's hold on a reply once per reply (whatever the chunking).
    @Test func onlyAnItemsFirstFrameCarriesItsArrivalTime() {
        let ring = OutboundFrameRing(minimumCapacity: 64, encoding: .muLaw)
        var path = OutboundPath(format: .pcm16(sampleRate: 24000))
        // 70 ms per item in chunks of 10 ms: the first chunk alone fills no frame.
        let chunk = TestAudio.pcm16Bytes(TestAudio.sine(440, rate: 24000, count: 240))
        for (item, arrival) in [(UInt32(1), UInt64(1_000)), (2, 5_000)] {
            for index in 0..<7 {
                chunk.withUnsafeBytes { path.append($0, item: item, arrivalNs: index == 0 ? arrival : 0, into: ring) }
            }
        }
        path.finishItem(into: ring)
        var frames: [OutboundFrame] = []
        while let frame = ring.pop() { frames.append(frame) }
        #expect(frames.map(\.item) == [1, 1, 1, 1, 2, 2, 2, 2])
        #expect(frames.map(\.itemArrivalNs) == [1_000, 0, 0, 0, 5_000, 0, 0, 0])
    }

    @Test func muLawChunksOfAnySizeArePassedThroughByteForByte() {
        let ring = OutboundFrameRing(minimumCapacity: 16, encoding: .muLaw)
        var path = OutboundPath(format: .muLaw)
        // 1,000 distinct-ish codes in chunks that straddle frame boundaries in every way.
        let codes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 256) }
        var offset = 0
        for size in [1, 159, 161, 3, 320, 17, 339] {
            codes[offset..<offset + size].withUnsafeBytes { path.append($0, item: 1, into: ring) }
            offset += size
        }
        #expect(offset == codes.count)
        path.finishItem(into: ring)
        var payload: [UInt8] = []
        var ends: [UInt32] = []
        while let frame = ring.pop() {
            payload.append(contentsOf: ring.audio(of: frame))
            ends.append(frame.endOffsetMs)
        }
        // Six whole frames and the last 40 codes padded with mu-law silence.
        #expect(ends == (1...7).map { UInt32($0 * 20) })
        #expect(Array(payload[0..<1000]) == codes)
        #expect(payload[1000...].allSatisfy { $0 == 0xFF })
    }

    @Test func aFullRingCountsWhatItRefuses() {
        let ring = OutboundFrameRing(minimumCapacity: 8, encoding: .muLaw)
        var path = OutboundPath(format: .muLaw)
        let bytes = [UInt8](repeating: 0xFF, count: 160 * 20)
        bytes.withUnsafeBytes { path.append($0, item: 1, into: ring) }
        #expect(ring.count == 8)
        #expect(path.droppedFrames == 12)
    }
}
