extension JSONScanner {
    /// A string value as the text it stands for: escapes (`\n`, `\"`, `\uXXXX` with surrogate
    /// pairs) decoded. For the rare text fields (transcripts, error messages, DTMF digits); the
    /// scanner has already validated the escapes. A lone surrogate becomes U+FFFD, as the JSON
    /// specification leaves it to the reader.
    package func text(_ string: StringValue) -> String {
        let raw = slice(string)
        guard string.hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(raw.count)
        var index = 0
        func hex(at start: Int) -> UInt32? {
            guard start + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = raw[start + offset]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        func append(_ scalar: Unicode.Scalar) { utf8.append(contentsOf: Array(String(Character(scalar)).utf8)) }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < raw.count else {
                utf8.append(byte)
                index += 1
                continue
            }
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "u"):
                guard let unit = hex(at: index) else { return String(decoding: utf8, as: UTF8.self) }
                index += 4
                if (0xD800..<0xDC00).contains(unit), index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"),
                   raw[index + 1] == UInt8(ascii: "u"), let low = hex(at: index + 2), (0xDC00..<0xE000).contains(low) {
                    index += 6
                    append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                } else {
                    append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default:
                // `"`, `\` and `/` stand for themselves.
                utf8.append(escaped)
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
