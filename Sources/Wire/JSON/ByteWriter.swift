/// Appends bytes into a buffer known to be large enough, or (with no buffer) only counts them.
public struct ByteWriter {
    public let output: UnsafeMutableRawBufferPointer?
    public var position = 0

    public init(_ output: UnsafeMutableRawBufferPointer?) {
        self.output = output
    }

    public mutating func append(_ literal: StaticString) {
        let count = literal.utf8CodeUnitCount
        if let output { (output.baseAddress! + position).copyMemory(from: literal.utf8Start, byteCount: count) }
        position += count
    }

    public mutating func append(_ bytes: [UInt8]) {
        if let output { bytes.withUnsafeBytes { (output.baseAddress! + position).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        position += bytes.count
    }

    /// Raw bytes, as they are (a binary message's payload).
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        if let output, let source = bytes.baseAddress { (output.baseAddress! + position).copyMemory(from: source, byteCount: bytes.count) }
        position += bytes.count
    }

    public mutating func appendBase64(_ bytes: UnsafeRawBufferPointer) {
        guard let output else {
            position += Base64.encodedLength(of: bytes.count)
            return
        }
        position += Base64.encode(bytes, into: UnsafeMutableRawBufferPointer(rebasing: output[position...]))
    }

    public mutating func append(decimal value: UInt32) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            if let output {
                for index in 0..<count { output[position + index] = digits[count - 1 - index] }
            }
        }
        position += count
    }
}
