import NIOCore

/// Client and server messages of the OpenAI Realtime protocol that the relay writes often
/// enough to compose by hand, straight into the memory they are sent from.
package enum RealtimeMessageWriter {
    private static let appendPrefix: StaticString = #"{"type":"input_audio_buffer.append","audio":""#
    private static let suffix: StaticString = #""}"#

    /// Bytes of the `input_audio_buffer.append` event carrying `audioCount` bytes.
    package static func appendLength(audioCount: Int) -> Int {
        appendPrefix.utf8CodeUnitCount + Base64.encodedLength(of: audioCount) + suffix.utf8CodeUnitCount
    }

    /// `{"type":"input_audio_buffer.append","audio":"<base64>"}` into `output`, which holds
    /// exactly ``appendLength(audioCount:)`` bytes.
    package static func writeAppend(_ audio: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        audioEvent(prefix: UnsafeRawBufferPointer(start: appendPrefix.utf8Start, count: appendPrefix.utf8CodeUnitCount), audio, into: output)
    }

    /// `{"type":"<type>","item_id":"...","delta":"<base64>"}` (the simulated model's side; `type` is the
    /// GA `response.output_audio.delta` or the beta `response.audio.delta`).
    package static func outputAudioDelta(type: String, item: String, _ audio: UnsafeRawBufferPointer) -> ByteBuffer {
        var header = #"{"type":"\#(type)","response_id":"resp_\#(item)","item_id":"\#(item)","output_index":0,"content_index":0,"delta":""#
        return header.withUTF8 { header in
            let count = header.count + Base64.encodedLength(of: audio.count) + suffix.utf8CodeUnitCount
            var buffer = ByteBuffer()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { output in
                audioEvent(prefix: UnsafeRawBufferPointer(header), audio, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<count]))
                return count
            }
            return buffer
        }
    }

    private static func audioEvent(prefix: UnsafeRawBufferPointer, _ audio: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        output.baseAddress!.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count)
        let encoded = Base64.encode(audio, into: UnsafeMutableRawBufferPointer(rebasing: output[prefix.count...]))
        (output.baseAddress! + prefix.count + encoded).copyMemory(from: suffix.utf8Start, byteCount: suffix.utf8CodeUnitCount)
    }
}
