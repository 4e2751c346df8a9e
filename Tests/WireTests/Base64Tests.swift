import Foundation
import Testing
import Wire

@Suite struct Base64Tests {
    @Test func matchesFoundationForEveryLengthAndBytePattern() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var encoded = [UInt8](repeating: 0, count: Base64.encodedLength(of: length))
            let written = bytes.withUnsafeBytes { input in encoded.withUnsafeMutableBytes { Base64.encode(input, into: $0) } }
            #expect(written == encoded.count)
            #expect(String(decoding: encoded, as: UTF8.self) == Data(bytes).base64EncodedString())
            var decoded = [UInt8](repeating: 0, count: length)
            let count = try encoded.withUnsafeBytes { input in try decoded.withUnsafeMutableBytes { try Base64.decode(input, into: $0) } }
            #expect(count == length)
            #expect(decoded == bytes)
        }
    }

    @Test(arguments: ["abc", "ab=c", "a===", "====", "ab c", "abc\n", "ab!d", "QQ=A", "QUJD=A==", "Q===="])
    func rejectsInvalidInput(_ text: String) {
        var output = [UInt8](repeating: 0, count: 16)
        #expect(throws: Base64.DecodingError.self) {
            try Array(text.utf8).withUnsafeBytes { input in try output.withUnsafeMutableBytes { try Base64.decode(input, into: $0) } }
        }
    }

    /// A bad character or early padding in any quad, first, inner or last, is reported at its offset.
    @Test func reportsTheOffsetOfABadCharacterAnywhere() {
        let valid = Array(String(repeating: "QUJD", count: 10).utf8)
        var output = [UInt8](repeating: 0, count: 30)
        for offset in 0..<valid.count {
            for bad in [UInt8(ascii: "!"), UInt8(ascii: "="), 0x80] where !(bad == UInt8(ascii: "=") && offset >= valid.count - 2) {
                var input = valid
                input[offset] = bad
                #expect(throws: Base64.DecodingError.invalidCharacter(offset: offset)) {
                    try input.withUnsafeBytes { input in try output.withUnsafeMutableBytes { try Base64.decode(input, into: $0) } }
                }
            }
        }
    }

    @Test func refusesToOverflowTheOutput() {
        var output = [UInt8](repeating: 0, count: 2)
        #expect(throws: Base64.DecodingError.outputTooSmall(needed: 3)) {
            try Array("QUJD".utf8).withUnsafeBytes { input in try output.withUnsafeMutableBytes { try Base64.decode(input, into: $0) } }
        }
    }

    /// A model delta of any size decodes chunk by chunk to exactly what Foundation decodes, each
    /// chunk whole 16-bit samples; padding inside (the end of an inner chunk) is refused.
    @Test(arguments: [0, 1, 2, 1019, 1020, 1021, 2040, 4801, 48_000])
    func decodesInChunksOfWholeSamples(length: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        var decoded: [UInt8] = []
        var chunks = 0
        try encoded.withUnsafeBytes { input in
            try Base64.decodeInChunks(input) { chunk in
                decoded += chunk
                chunks += 1
                if decoded.count < length { #expect(chunk.count % 2 == 0) }
            }
        }
        #expect(decoded == bytes)
        #expect(chunks == (length + 1019) / 1020)
    }

    @Test func chunkedDecodingRefusesPaddingBeforeTheEndAndReportsWhere() {
        // 1,020 bytes end in "=" when the first chunk's last quad is padded: "QQ==" at 1,356.
        let inner = Array(String(repeating: "QUJD", count: 339).utf8) + Array("QQ==".utf8) + Array("QUJD".utf8)
        #expect(throws: Base64.DecodingError.invalidCharacter(offset: 1359)) {
            try inner.withUnsafeBytes { try Base64.decodeInChunks($0) { _ in } }
        }
        let late = Array(String(repeating: "QUJD", count: 400).utf8) + Array("QU!D".utf8)
        var handedOn = 0
        #expect(throws: Base64.DecodingError.invalidCharacter(offset: 1602)) {
            try late.withUnsafeBytes { try Base64.decodeInChunks($0) { handedOn += $0.count } }
        }
        #expect(handedOn == 1020, "the first chunk went on before the bad one was read")
    }
}
