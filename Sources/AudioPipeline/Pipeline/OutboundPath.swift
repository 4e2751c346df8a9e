import Codecs

/// The model-to-caller conversion: model audio (pcm16 at the model's rate, or mu-law) to
/// 20 ms mu-law ``OutboundFrame``s tagged with their response item and position, pushed into
/// the ring the ``PlayoutPacer`` drains.
///
/// Runs where model audio arrives (the model socket's reader), the ring's single producer.
/// Model chunks come in any size; audio is converted in 10 ms blocks through stack buffers
/// (under a kilobyte each, so the standard library keeps them on the stack), and a partial
/// frame waits for the next chunk. No allocation after `init`, and no buffer kept per call
/// but the resampler's history and the frame being filled.
public struct OutboundPath: Sendable {
    public let format: ModelAudioFormat
    private var resampler: Resampler?
    /// Input samples converted at a time: 10 ms at the model's rate.
    private let block: Int
    private var frame: InlineArray<160, UInt8> = .init(repeating: 0xFF)
    private var frameFill = 0
    /// A byte of a 16-bit sample split across two chunks.
    private var danglingByte: UInt8?
    private var item: UInt32?
    private var itemEndMs: UInt32 = 0
    /// The current item's arrival time, until its first frame carries it.
    private var itemArrivalNs: UInt64 = 0
    /// Frames the ring refused (it was full: the pacer's consumer stalled or the producer ignored back-pressure).
    public private(set) var droppedFrames = 0

    public init(format: ModelAudioFormat) {
        self.format = format
        self.block = format.sampleRate / 100
        if format.sampleRate != 8000 {
            self.resampler = Resampler(from: format.sampleRate, to: 8000, blockSize: block)
        }
    }

    /// Appends model audio for `item`. A new item first completes the previous one's last frame;
    /// its first frame carries `arrivalNs` (see ``OutboundFrame/itemArrivalNs``).
    public mutating func append(_ audio: UnsafeRawBufferPointer, item newItem: UInt32, arrivalNs: UInt64 = 0,
                                into ring: SPSCRingBuffer<OutboundFrame>) {
        if item != newItem {
            finishItem(into: ring)
            item = newItem
            itemEndMs = 0
            itemArrivalNs = arrivalNs
        }
        switch format {
        case .muLaw:
            appendCodes(UnsafeBufferPointer(start: audio.baseAddress?.assumingMemoryBound(to: UInt8.self), count: audio.count), ring)
        case .pcm16:
            appendPCM16(audio, ring)
        }
    }

    /// Pads and sends the current item's last partial frame (the model finished the response).
    public mutating func finishItem(into ring: SPSCRingBuffer<OutboundFrame>) {
        danglingByte = nil
        guard frameFill > 0 else { return }
        for index in frameFill..<OutboundFrame.payloadBytes { frame[index] = 0xFF }  // mu-law silence
        frameFill = OutboundFrame.payloadBytes
        emitFrame(ring)
    }

    /// Forgets buffered partial audio (barge-in: the rest of the response will not be played).
    public mutating func discardPartial() {
        frameFill = 0
        danglingByte = nil
        resampler?.reset()
    }

    private mutating func appendPCM16(_ audio: UnsafeRawBufferPointer, _ ring: SPSCRingBuffer<OutboundFrame>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { floats in
            var offset = 0
            while offset < audio.count {
                var count = 0
                if let first = danglingByte, offset < audio.count {
                    floats[0] = Float(Int16(bitPattern: UInt16(first) | UInt16(audio[offset]) << 8)) / 32768
                    danglingByte = nil
                    offset += 1
                    count = 1
                }
                let pairs = min(block - count, (audio.count - offset) / 2)
                PCM.convert(littleEndian: UnsafeRawBufferPointer(rebasing: audio[offset..<offset + 2 * pairs]),
                            into: UnsafeMutableBufferPointer(rebasing: floats[count..<count + pairs]))
                count += pairs
                offset += 2 * pairs
                if offset + 1 == audio.count, count < block {
                    danglingByte = audio[offset]
                    offset += 1
                }
                convertAndFrame(UnsafeBufferPointer(rebasing: floats[0..<count]), ring)
            }
        }
    }

    private mutating func convertAndFrame(_ input: UnsafeBufferPointer<Float>, _ ring: SPSCRingBuffer<OutboundFrame>) {
        guard !input.isEmpty else { return }
        guard resampler != nil else {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count) { codes in
                MuLaw.encode(input, into: codes)
                appendCodes(UnsafeBufferPointer(codes), ring)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: resampler!.maximumOutputCount(forInputCount: input.count)) { resampled in
            let produced = resampler!.process(input, into: resampled)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: produced) { codes in
                MuLaw.encode(UnsafeBufferPointer(rebasing: resampled[0..<produced]), into: codes)
                appendCodes(UnsafeBufferPointer(codes), ring)
            }
        }
    }

    private mutating func appendCodes(_ codes: UnsafeBufferPointer<UInt8>, _ ring: SPSCRingBuffer<OutboundFrame>) {
        var offset = 0
        while offset < codes.count {
            let take = min(OutboundFrame.payloadBytes - frameFill, codes.count - offset)
            let fill = frameFill
            var payload = frame.mutableSpan
            payload.withUnsafeMutableBufferPointer { bytes in
                (bytes.baseAddress! + fill).update(from: codes.baseAddress! + offset, count: take)
            }
            frameFill += take
            offset += take
            if frameFill == OutboundFrame.payloadBytes { emitFrame(ring) }
        }
    }

    private mutating func emitFrame(_ ring: SPSCRingBuffer<OutboundFrame>) {
        itemEndMs += UInt32(OutboundFrame.durationMs)
        if !ring.push(OutboundFrame(item: item ?? 0, endOffsetMs: itemEndMs, itemArrivalNs: itemArrivalNs, payload: frame)) {
            droppedFrames += 1
        }
        itemArrivalNs = 0
        frameFill = 0
    }
}
