/// Standard base64 (RFC 4648, with padding) over caller-provided buffers, for the audio
/// payloads of every media message: no `Data`, no `String`, no allocation.
public enum Base64 {
    public enum DecodingError: Error, Equatable, CustomStringConvertible {
        case invalidLength(Int)
        case invalidCharacter(offset: Int)
        case outputTooSmall(needed: Int)

        public var description: String {
            switch self {
            case .invalidLength(let length): "invalid base64: length \(length) is not a multiple of 4"
            case .invalidCharacter(let offset): "invalid base64: bad character at offset \(offset)"
            case .outputTooSmall(let needed): "base64 payload decodes to \(needed) bytes, more than allowed"
            }
        }
    }

    package static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// 0...63 for alphabet bytes, 0xFF otherwise.
    package static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    public static func encodedLength(of count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes `input` into `output` (which must hold ``encodedLength(of:)`` bytes); returns bytes written.
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(output.count >= encodedLength(of: input.count), "base64 output buffer too small")
        return alphabet.withUnsafeBufferPointer { alphabet in
            var read = 0, written = 0
            while read + 3 <= input.count {
                let value = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
                output[written] = alphabet[Int(value >> 18)]
                output[written + 1] = alphabet[Int(value >> 12 & 63)]
                output[written + 2] = alphabet[Int(value >> 6 & 63)]
                output[written + 3] = alphabet[Int(value & 63)]
                read += 3
                written += 4
            }
            let remaining = input.count - read
            if remaining > 0 {
                let value = UInt32(input[read]) << 16 | (remaining == 2 ? UInt32(input[read + 1]) << 8 : 0)
                output[written] = alphabet[Int(value >> 18)]
                output[written + 1] = alphabet[Int(value >> 12 & 63)]
                output[written + 2] = remaining == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                output[written + 3] = UInt8(ascii: "=")
                written += 4
            }
            return written
        }
    }

    /// Decodes strict base64 into `output`; returns bytes written. Whitespace is not allowed.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(DecodingError) -> Int {
        guard input.count % 4 == 0 else { throw .invalidLength(input.count) }
        guard input.count > 0 else { return 0 }
        var padding = 0
        if input[input.count - 1] == UInt8(ascii: "=") { padding += 1 }
        if input[input.count - 2] == UInt8(ascii: "=") { padding += 1 }
        let needed = input.count / 4 * 3 - padding
        guard output.count >= needed else { throw .outputTooSmall(needed: needed) }
        return try values.withUnsafeBufferPointer { values throws(DecodingError) -> Int in
            var written = 0
            var read = 0
            // Every quad before the last carries no padding: four lookups, one check, three
            // bytes. A bad character makes the OR of the four values 0xFF; the careful loop
            // below then finds it and reports its offset.
            if let source = input.baseAddress, let destination = output.baseAddress?.assumingMemoryBound(to: UInt8.self),
               let table = values.baseAddress {
                while read + 4 < input.count {
                    let a = table[Int(source.load(fromByteOffset: read, as: UInt8.self))]
                    let b = table[Int(source.load(fromByteOffset: read + 1, as: UInt8.self))]
                    let c = table[Int(source.load(fromByteOffset: read + 2, as: UInt8.self))]
                    let d = table[Int(source.load(fromByteOffset: read + 3, as: UInt8.self))]
                    guard (a | b | c | d) & 0x80 == 0 else { break }
                    destination[written] = a << 2 | b >> 4
                    destination[written + 1] = b << 4 | c >> 2
                    destination[written + 2] = c << 6 | d
                    written += 3
                    read += 4
                }
            }
            while read < input.count {
                let isLast = read + 4 == input.count
                var quad: UInt32 = 0
                for offset in 0..<4 {
                    let byte = input[read + offset]
                    let value = values[Int(byte)]
                    if value == 0xFF {
                        // '=' only as the final one or two characters.
                        guard isLast, byte == UInt8(ascii: "="), offset >= 4 - padding else {
                            throw .invalidCharacter(offset: read + offset)
                        }
                        quad <<= 6
                    } else {
                        guard !(isLast && offset >= 4 - padding) else { throw .invalidCharacter(offset: read + offset) }
                        quad = quad << 6 | UInt32(value)
                    }
                }
                let count = isLast ? 3 - padding : 3
                output[written] = UInt8(truncatingIfNeeded: quad >> 16)
                if count > 1 { output[written + 1] = UInt8(truncatingIfNeeded: quad >> 8) }
                if count > 2 { output[written + 2] = UInt8(truncatingIfNeeded: quad) }
                written += count
                read += 4
            }
            return written
        }
    }

    /// Decoded bytes per chunk in ``decodeInChunks(_:_:)``: a multiple of 3 (whole base64 quads)
    /// and of 2 (whole 16-bit samples), small enough for the stack.
    package static let chunkBytes = 1020

    /// Decodes strict base64 a chunk at a time into stack memory, handing each chunk to `body`:
    /// a model's audio delta of any size is decoded with no buffer kept per call. A bad
    /// character in a later chunk throws after the earlier chunks were handed on.
    public static func decodeInChunks(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) throws(DecodingError) {
        guard input.count % 4 == 0 else { throw .invalidLength(input.count) }
        let chunkCharacters = chunkBytes / 3 * 4
        try withUnsafeTemporaryAllocation(byteCount: chunkBytes, alignment: 8) { output throws(DecodingError) in
            var start = 0
            while start < input.count {
                let end = min(start + chunkCharacters, input.count)
                // Padding belongs at the very end only, never at the end of an inner chunk.
                if end < input.count, input[end - 1] == UInt8(ascii: "=") { throw .invalidCharacter(offset: end - 1) }
                do throws(DecodingError) {
                    let written = try decode(UnsafeRawBufferPointer(rebasing: input[start..<end]), into: output)
                    body(UnsafeRawBufferPointer(rebasing: output[0..<written]))
                } catch .invalidCharacter(let offset) {
                    throw .invalidCharacter(offset: start + offset)
                }
                start = end
            }
        }
    }
}
