extension JSONScanner {
    /// Decodes a base64 string value (a media payload) into `output`; returns the bytes written.
    /// Some JSON writers escape '/' as "\/": such a value is unescaped into a scratch copy first (rare).
    package func decodeBase64(_ value: StringValue, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard value.hasEscapes else { return try Base64.decode(slice(value), into: output) }
        let raw = slice(value)
        var unescaped = [UInt8]()
        unescaped.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 1 < raw.count, raw[index + 1] == UInt8(ascii: "/") {
                unescaped.append(UInt8(ascii: "/"))
                index += 2
            } else {
                unescaped.append(raw[index])
                index += 1
            }
        }
        return try unescaped.withUnsafeBytes { try Base64.decode($0, into: output) }
    }
}
