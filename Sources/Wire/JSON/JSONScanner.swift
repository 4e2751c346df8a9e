/// A forward-only JSON reader over raw bytes for the few hot messages (media in, audio deltas),
/// where Foundation's decoders would allocate per message. It validates what it walks
/// (structure, strings and their escapes, numbers, literals), hands out strings as byte ranges
/// into the message, and limits nesting so hostile input cannot exhaust the stack.
package struct JSONScanner {
    package struct Failure: Error, Equatable, CustomStringConvertible {
        package let offset: Int
        package let reason: String
        package var description: String { "malformed JSON at byte \(offset): \(reason)" }
    }

    /// A string value: its raw bytes between the quotes, and whether they contain escapes.
    package struct StringValue {
        package let range: Range<Int>
        package let hasEscapes: Bool
    }

    package static let maximumDepth = 32
    package let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Walks an object, calling `member` with each key; `member` must consume the value
    /// (with one of the value readers or ``skipValue(depth:)``).
    package mutating func readObject(depth: Int = 0, _ member: (inout JSONScanner, StringValue) throws(Failure) -> Void) throws(Failure) {
        guard depth < Self.maximumDepth else { throw fail("nested too deeply") }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard let next = peek() else { throw fail("unterminated object") }
            position += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Failure(offset: position - 1, reason: "expected ',' or '}'") }
        }
    }

    /// Checks that only whitespace follows the top-level value.
    package mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected data after the message") }
    }

    package mutating func readString() throws(Failure) -> StringValue {
        try expect(UInt8(ascii: "\""))
        let start = position
        var hasEscapes = false
        while position < bytes.count {
            skipPlainStringBytes()
            guard position < bytes.count else { break }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return StringValue(range: start..<position - 1, hasEscapes: hasEscapes)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                guard position + 1 < bytes.count else { throw fail("unterminated escape") }
                let escaped = bytes[position + 1]
                if escaped == UInt8(ascii: "u") {
                    guard position + 6 <= bytes.count,
                          (position + 2..<position + 6).allSatisfy({ Self.isHexDigit(bytes[$0]) }) else {
                        throw fail("bad \\u escape")
                    }
                    position += 6
                } else {
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        break
                    default:
                        throw fail("bad escape")
                    }
                    position += 2
                }
            case 0..<0x20:
                throw fail("control character in string")
            default:
                position += 1
            }
        }
        throw Failure(offset: start - 1, reason: "unterminated string")
    }

    /// Skips string bytes that need no attention (no quote, backslash or control character)
    /// sixteen at a time: the hot strings are base64 audio of hundreds of bytes.
    private mutating func skipPlainStringBytes() {
        let quote = SIMD16<UInt8>(repeating: UInt8(ascii: "\""))
        let backslash = SIMD16<UInt8>(repeating: UInt8(ascii: "\\"))
        let space = SIMD16<UInt8>(repeating: 0x20)
        while position + 16 <= bytes.count {
            let chunk = bytes.loadUnaligned(fromByteOffset: position, as: SIMD16<UInt8>.self)
            let special = (chunk .== quote) .| (chunk .== backslash) .| (chunk .< space)
            if any(special) { return }
            position += 16
        }
    }

    /// A non-negative integer given either as a JSON number or as a string of digits
    /// (Twilio sends `chunk` and `timestamp` as strings).
    package mutating func readUnsignedInteger() throws(Failure) -> UInt64 {
        let start = position
        let quoted = peek() == UInt8(ascii: "\"")
        let digits: Range<Int>
        if quoted {
            let string = try readString()
            digits = string.range
        } else {
            while let byte = peek(), Self.isDigit(byte) { position += 1 }
            digits = start..<position
        }
        guard !digits.isEmpty, digits.count <= 19 else { throw Failure(offset: start, reason: "expected a whole number") }
        var value: UInt64 = 0
        for index in digits {
            let byte = bytes[index]
            guard Self.isDigit(byte) else { throw Failure(offset: start, reason: "expected a whole number") }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Skips any value, validating it.
    package mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < Self.maximumDepth else { throw fail("nested too deeply") }
        guard let byte = peek() else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "{"):
            try readObject(depth: depth + 1) { (scanner: inout JSONScanner, _) throws(Failure) in try scanner.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw fail("unterminated array") }
                position += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw Failure(offset: position - 1, reason: "expected ',' or ']'") }
            }
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw fail("unexpected character")
        }
    }

    /// Whether the bytes of `string` equal `literal` (escaped strings never match a key we look for).
    package func matches(_ string: StringValue, _ literal: StaticString) -> Bool {
        guard !string.hasEscapes, string.range.count == literal.utf8CodeUnitCount else { return false }
        let pointer = literal.utf8Start
        for (offset, index) in string.range.enumerated() where bytes[index] != pointer[offset] { return false }
        return true
    }

    package func slice(_ string: StringValue) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[string.range])
    }

    private mutating func skipNumber() throws(Failure) {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        var digits = 0
        while let byte = peek(), Self.isDigit(byte) { position += 1; digits += 1 }
        if peek() == UInt8(ascii: ".") {
            position += 1
            var fraction = 0
            while let byte = peek(), Self.isDigit(byte) { position += 1; fraction += 1 }
            guard fraction > 0 else { throw Failure(offset: start, reason: "bad number") }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            var exponent = 0
            while let byte = peek(), Self.isDigit(byte) { position += 1; exponent += 1 }
            guard exponent > 0 else { throw Failure(offset: start, reason: "bad number") }
        }
        guard digits > 0 else { throw Failure(offset: start, reason: "bad number") }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("truncated literal") }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { throw fail("bad literal") }
        position += count
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    /// The next byte, if any (without consuming it).
    package func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }
    private func fail(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }
}
