import Foundation
import Server
import Testing

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

    @Test func refusesToOverflowTheOutput() {
        var output = [UInt8](repeating: 0, count: 2)
        #expect(throws: Base64.DecodingError.outputTooSmall(needed: 3)) {
            try Array("QUJD".utf8).withUnsafeBytes { input in try output.withUnsafeMutableBytes { try Base64.decode(input, into: $0) } }
        }
    }
}
