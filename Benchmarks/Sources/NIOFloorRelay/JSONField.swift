#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a string field's value in a JSON message whose layout the floor relay knows (Twilio's
/// and the model's messages): a byte search for `"name":"`, then the closing quote.
/// Not a JSON parser: the floor does no more than it must (the relay reads every message with
/// the `Wire` scanner).
struct JSONField: Sendable {
    let pattern: [UInt8]

    init(_ name: String) {
        pattern = Array("\"\(name)\":\"".utf8)
    }

    /// The byte range of the value (between the quotes) in `bytes`.
    func range(in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let base = bytes.baseAddress, bytes.count >= pattern.count else { return nil }
        guard let found = pattern.withUnsafeBytes({ find($0, in: bytes) }) else { return nil }
        let start = found + pattern.count
        guard let quote = memchr(base + start, Int32(UInt8(ascii: "\"")), bytes.count - start) else { return nil }
        return start..<(Int(bitPattern: quote) - Int(bitPattern: base))
    }

    /// Offset of `needle` in `haystack`: memchr for its first byte, memcmp for the rest.
    private func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
        let base = haystack.baseAddress!
        var offset = 0
        while haystack.count - offset >= needle.count {
            guard let hit = memchr(base + offset, Int32(needle[0]), haystack.count - offset - needle.count + 1) else { return nil }
            let position = Int(bitPattern: hit) - Int(bitPattern: base)
            if memcmp(base + position, needle.baseAddress!, needle.count) == 0 { return position }
            offset = position + 1
        }
        return nil
    }

    /// Whether the value in `bytes` is exactly `value`.
    func has(_ value: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let range = range(in: bytes), range.count == value.count else { return false }
        return value.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress! + range.lowerBound, range.count) == 0 }
    }
}
