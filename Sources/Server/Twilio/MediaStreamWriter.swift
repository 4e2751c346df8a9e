/// Writes the messages we send Twilio (`media`, `mark`, `clear`) into one reused buffer, with
/// the audio base64-encoded in place: no allocation per message.
public struct MediaStreamWriter: Sendable {
    public enum InvalidStreamSid: Error { case notAlphanumeric }

    private let streamSid: [UInt8]
    private var buffer: [UInt8]

    /// `streamSid` is Twilio's `MZ...` id; only letters and digits are accepted (so it never needs escaping).
    public init(streamSid: String) throws(InvalidStreamSid) {
        let bytes = Array(streamSid.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .notAlphanumeric
        }
        self.streamSid = bytes
        self.buffer = [UInt8](repeating: 0, count: 1024)
    }

    /// `{"event":"media","streamSid":"MZ...","media":{"payload":"<base64>"}}`
    public mutating func media<Result>(_ payload: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let needed = 64 + streamSid.count + Base64.encodedLength(of: payload.count)
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: needed) }
        let streamSid = self.streamSid
        return buffer.withUnsafeMutableBytes { output in
            var writer = ByteWriter(output)
            writer.append(#"{"event":"media","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","media":{"payload":""#)
            writer.position += Base64.encode(payload, into: UnsafeMutableRawBufferPointer(rebasing: output[writer.position...]))
            writer.append(#""}}"#)
            return body(UnsafeRawBufferPointer(rebasing: output[0..<writer.position]))
        }
    }

    /// `{"event":"mark","streamSid":"MZ...","mark":{"name":"<item>:<offsetMs>"}}`; see ``MarkName``.
    public mutating func mark<Result>(item: UInt32, offsetMs: UInt32, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let streamSid = self.streamSid
        return buffer.withUnsafeMutableBytes { output in
            var writer = ByteWriter(output)
            writer.append(#"{"event":"mark","streamSid":""#)
            writer.append(streamSid)
            writer.append(#"","mark":{"name":""#)
            writer.append(decimal: item)
            writer.append(":")
            writer.append(decimal: offsetMs)
            writer.append(#""}}"#)
            return body(UnsafeRawBufferPointer(rebasing: output[0..<writer.position]))
        }
    }

    /// `{"event":"clear","streamSid":"MZ..."}`: Twilio drops everything it has buffered.
    public mutating func clear<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let streamSid = self.streamSid
        return buffer.withUnsafeMutableBytes { output in
            var writer = ByteWriter(output)
            writer.append(#"{"event":"clear","streamSid":""#)
            writer.append(streamSid)
            writer.append(#""}"#)
            return body(UnsafeRawBufferPointer(rebasing: output[0..<writer.position]))
        }
    }
}

/// Mark names the relay sends: `<item>:<offsetMs>`, the response item and where in it the
/// marked audio ends, so an echo tells the pacer exactly what has played.
public enum MarkName {
    public static func parse(_ name: String) -> (item: UInt32, offsetMs: UInt32)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let item = UInt32(parts[0]), let offset = UInt32(parts[1]) else { return nil }
        return (item, offset)
    }
}

/// Appends bytes into a buffer known to be large enough.
struct ByteWriter {
    let output: UnsafeMutableRawBufferPointer
    var position = 0

    init(_ output: UnsafeMutableRawBufferPointer) {
        self.output = output
    }

    mutating func append(_ literal: StaticString) {
        let count = literal.utf8CodeUnitCount
        (output.baseAddress! + position).copyMemory(from: literal.utf8Start, byteCount: count)
        position += count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { (output.baseAddress! + position).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        position += bytes.count
    }

    mutating func append(decimal value: UInt32) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            for index in 0..<count { output[position + index] = digits[count - 1 - index] }
        }
        position += count
    }
}
