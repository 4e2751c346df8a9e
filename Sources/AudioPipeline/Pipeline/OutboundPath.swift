import Codecs

/// The model-to-caller conversion: model audio (pcm16 at the model's rate, or mu-law) to 20 ms
/// frames in the caller's encoding (``CallerAudioEncoding``), tagged with their response item and
/// position, pushed into the ``OutboundFrameRing`` the ``PlayoutPacer`` drains.
///
/// Runs where model audio arrives (the model socket's reader), the ring's single producer.
/// Model chunks come in any size; audio is converted in 10 ms blocks through stack buffers
/// (under a kilobyte each, so the standard library keeps them on the stack), and a partial
/// frame waits for the next chunk. No allocation after `init`, and no buffer kept per call
/// but the resampler's history and the frame being filled.
public struct OutboundPath: Sendable {
    public let format: ModelAudioFormat
    public let caller: CallerAudioEncoding
    private var resampler: Resampler?
    /// Input samples converted at a time: 10 ms at the model's rate.
    private let block: Int
    /// The frame being filled, in the caller's encoding (16-bit PCM for Opus, encoded when full).
    private var frame: InlineArray<640, UInt8> = .init(repeating: 0)
    private var frameFill = 0
    private let frameBytes: Int
    /// The encoding frames are filled in (``CallerAudioEncoding/gathered``).
    private let gathered: CallerAudioEncoding
    /// Opus callers' encoder: a whole frame at a time.
    private let opus: OutboundOpusEncoder?
    /// Whether the model's mu-law goes to the caller byte for byte.
    private let passesCodesThrough: Bool
    /// A byte of a 16-bit sample split across two chunks.
    private var danglingByte: UInt8?
    private var item: UInt32?
    private var itemEndMs: UInt32 = 0
    /// The current item's arrival time, until its first frame carries it.
    private var itemArrivalNs: UInt64 = 0
    /// Frames the ring refused (it was full: the pacer's consumer stalled or the producer ignored back-pressure).
    public private(set) var droppedFrames = 0

    public init(format: ModelAudioFormat, caller: CallerAudioEncoding = .muLaw) {
        self.format = format
        self.caller = caller
        self.block = format.sampleRate / 100
        self.gathered = caller.gathered
        self.frameBytes = gathered.bytesPerFrame
        if case .opus(let sampleRate) = caller { self.opus = OutboundOpusEncoder(sampleRate: sampleRate) } else { self.opus = nil }
        self.passesCodesThrough = format == .muLaw && caller == .muLaw
        if format.sampleRate != caller.sampleRate {
            self.resampler = Resampler(from: format.sampleRate, to: caller.sampleRate, blockSize: block)
        }
    }

    /// Appends model audio for `item`. A new item first completes the previous one's last frame;
    /// its first frame carries `arrivalNs` (see ``OutboundFrame/itemArrivalNs``).
    public mutating func append(_ audio: UnsafeRawBufferPointer, item newItem: UInt32, arrivalNs: UInt64 = 0,
                                into ring: OutboundFrameRing) {
        if item != newItem {
            finishItem(into: ring)
            item = newItem
            itemEndMs = 0
            itemArrivalNs = arrivalNs
        }
        switch format {
        case .muLaw where passesCodesThrough:
            appendBytes(audio, ring)
        case .muLaw:
            appendMuLaw(audio, ring)
        case .pcm16:
            appendPCM16(audio, ring)
        }
    }

    /// Pads and sends the current item's last partial frame (the model finished the response).
    public mutating func finishItem(into ring: OutboundFrameRing) {
        danglingByte = nil
        guard frameFill > 0 else { return }
        let silence = gathered.silenceByte
        for index in frameFill..<frameBytes { frame[index] = silence }
        frameFill = frameBytes
        emitFrame(ring)
    }

    /// Forgets buffered partial audio (barge-in: the rest of the response will not be played).
    public mutating func discardPartial() {
        frameFill = 0
        danglingByte = nil
        resampler?.reset()
    }

    private mutating func appendMuLaw(_ codes: UnsafeRawBufferPointer, _ ring: OutboundFrameRing) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { floats in
            var offset = 0
            while offset < codes.count {
                let count = min(block, codes.count - offset)
                MuLaw.decode(UnsafeRawBufferPointer(rebasing: codes[offset..<offset + count]).bindMemory(to: UInt8.self),
                             into: UnsafeMutableBufferPointer(rebasing: floats[0..<count]))
                convertAndFrame(UnsafeBufferPointer(rebasing: floats[0..<count]), ring)
                offset += count
            }
        }
    }

    private mutating func appendPCM16(_ audio: UnsafeRawBufferPointer, _ ring: OutboundFrameRing) {
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

    /// Resamples to the caller's rate when it differs, encodes, and frames.
    private mutating func convertAndFrame(_ input: UnsafeBufferPointer<Float>, _ ring: OutboundFrameRing) {
        guard !input.isEmpty else { return }
        guard resampler != nil else { return encodeAndFrame(input, ring) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: resampler!.maximumOutputCount(forInputCount: input.count)) { resampled in
            let produced = resampler!.process(input, into: resampled)
            encodeAndFrame(UnsafeBufferPointer(rebasing: resampled[0..<produced]), ring)
        }
    }

    private mutating func encodeAndFrame(_ samples: UnsafeBufferPointer<Float>, _ ring: OutboundFrameRing) {
        let bytes = samples.count * frameBytes / gathered.samplesPerFrame
        withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 2) { encoded in
            gathered.encode(samples, into: encoded)
            appendBytes(UnsafeRawBufferPointer(encoded), ring)
        }
    }

    private mutating func appendBytes(_ bytes: UnsafeRawBufferPointer, _ ring: OutboundFrameRing) {
        var offset = 0
        while offset < bytes.count {
            let take = min(frameBytes - frameFill, bytes.count - offset)
            let fill = frameFill
            var payload = frame.mutableSpan
            payload.withUnsafeMutableBytes { frame in
                (frame.baseAddress! + fill).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            }
            frameFill += take
            offset += take
            if frameFill == frameBytes { emitFrame(ring) }
        }
    }

    private mutating func emitFrame(_ ring: OutboundFrameRing) {
        itemEndMs += UInt32(OutboundFrame.durationMs)
        let header = OutboundFrame(item: item ?? 0, endOffsetMs: itemEndMs, itemArrivalNs: itemArrivalNs)
        let pushed = frame.span.withUnsafeBytes { gathered in
            let pcm = UnsafeRawBufferPointer(rebasing: gathered[0..<frameBytes])
            guard let opus else { return ring.push(header, audio: pcm) }
            return opus.encode(pcm) { ring.push(header, audio: $0) }
        }
        if !pushed { droppedFrames += 1 }
        itemArrivalNs = 0
        frameFill = 0
    }
}
