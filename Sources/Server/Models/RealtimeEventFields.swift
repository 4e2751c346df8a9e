/// The fields the relay reads from OpenAI-Realtime-style events, in either direction, taken
/// from the bytes in one pass by ``JSONScanner``: audio (`delta` of the audio-delta events,
/// `audio` of `input_audio_buffer.append`) is base64-decoded into the caller's buffer, so the
/// per-chunk path allocates nothing. Both GA and beta event names share these fields.
struct RealtimeEventFields {
    var type: JSONScanner.StringValue?
    var itemID: JSONScanner.StringValue?
    /// `delta` or `audio`: a base64 string for audio events, text for transcript deltas.
    var data: JSONScanner.StringValue?
    var transcript: JSONScanner.StringValue?
    var errorMessage: JSONScanner.StringValue?
    var audioEndMs: UInt64?

    /// Bytes a base64 value decodes to at most (its length is a multiple of 4 when valid).
    static func decodedCapacity(of value: JSONScanner.StringValue) -> Int { value.range.count / 4 * 3 }

    static func scan(_ message: UnsafeRawBufferPointer) throws(JSONScanner.Failure) -> (RealtimeEventFields, JSONScanner) {
        var fields = RealtimeEventFields()
        var scanner = JSONScanner(message)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
            if scanner.matches(key, "type") {
                fields.type = try scanner.readString()
            } else if scanner.matches(key, "item_id") {
                fields.itemID = try scanner.readString()
            } else if scanner.matches(key, "delta") || scanner.matches(key, "audio") {
                if scanner.peek() == UInt8(ascii: "\"") { fields.data = try scanner.readString() } else { try scanner.skipValue(depth: 1) }
            } else if scanner.matches(key, "transcript") {
                fields.transcript = try scanner.readString()
            } else if scanner.matches(key, "audio_end_ms") {
                fields.audioEndMs = try scanner.readUnsignedInteger()
            } else if scanner.matches(key, "error") {
                try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                    if scanner.matches(key, "message") { fields.errorMessage = try scanner.readString() } else { try scanner.skipValue(depth: 2) }
                }
            } else {
                try scanner.skipValue(depth: 1)
            }
        }
        try scanner.expectEnd()
        return (fields, scanner)
    }

    /// Whether `type` is one of `names` (GA and beta spellings of one event).
    static func `is`(_ type: JSONScanner.StringValue, in scanner: JSONScanner, _ names: StaticString...) -> Bool {
        names.contains { scanner.matches(type, $0) }
    }
}

/// Client and server messages of the OpenAI Realtime protocol that the relay writes often
/// enough to build by hand into a reused buffer.
struct RealtimeMessageWriter {
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// `{"type":"input_audio_buffer.append","audio":"<base64>"}`
    mutating func append<Result>(_ audio: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        audioEvent(prefix: #"{"type":"input_audio_buffer.append","audio":""#, audio, suffix: #""}"#, body)
    }

    /// `{"type":"<type>","item_id":"...","delta":"<base64>"}` (the simulated model's side; `type` is the
    /// GA `response.output_audio.delta` or the beta `response.audio.delta`).
    mutating func outputAudioDelta<Result>(type: String, item: String, _ audio: UnsafeRawBufferPointer,
                                           _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let header = #"{"type":"\#(type)","response_id":"resp_\#(item)","item_id":"\#(item)","output_index":0,"content_index":0,"delta":""#
        return header.utf8.withContiguousStorageIfAvailable { header in
            audioEvent(prefixBytes: UnsafeRawBufferPointer(header), audio, suffix: #""}"#, body)
        }!
    }

    private mutating func audioEvent<Result>(prefix: StaticString, _ audio: UnsafeRawBufferPointer, suffix: StaticString,
                                              _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        audioEvent(prefixBytes: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount), audio, suffix: suffix, body)
    }

    private mutating func audioEvent<Result>(prefixBytes: UnsafeRawBufferPointer, _ audio: UnsafeRawBufferPointer, suffix: StaticString,
                                              _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let needed = prefixBytes.count + Base64.encodedLength(of: audio.count) + suffix.utf8CodeUnitCount
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: needed) }
        return buffer.withUnsafeMutableBytes { output in
            var position = 0
            (output.baseAddress! + position).copyMemory(from: prefixBytes.baseAddress!, byteCount: prefixBytes.count)
            position += prefixBytes.count
            position += Base64.encode(audio, into: UnsafeMutableRawBufferPointer(rebasing: output[position...]))
            (output.baseAddress! + position).copyMemory(from: suffix.utf8Start, byteCount: suffix.utf8CodeUnitCount)
            position += suffix.utf8CodeUnitCount
            return body(UnsafeRawBufferPointer(rebasing: output[0..<position]))
        }
    }
}
