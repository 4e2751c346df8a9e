import Testing
import Wire

@Suite struct JSONScannerTextTests {
    /// The string value of `{"t":<literal>}` as text.
    static func text(_ literal: String) throws -> String {
        var message = #"{"t":"# + literal + "}"
        return try message.withUTF8 { bytes in
            var scanner = JSONScanner(UnsafeRawBufferPointer(bytes))
            var value: JSONScanner.StringValue?
            try scanner.readObject { (scanner: inout JSONScanner, _) throws(JSONScanner.Failure) in value = try scanner.readString() }
            return scanner.text(try #require(value))
        }
    }

    @Test func escapesComeOutAsTheCharactersTheyStandFor() throws {
        #expect(try Self.text(#""plain""#) == "plain")
        #expect(try Self.text(#""a \"quote\", a \\ and a \/""#) == #"a "quote", a \ and a /"#)
        #expect(try Self.text(#""line\nbreak\ttab\r\b\f""#) == "line\nbreak\ttab\r\u{08}\u{0C}")
        #expect(try Self.text(#""caf\u00e9 \u2615""#) == "café ☕")
        #expect(try Self.text(#""party \ud83c\udf89!""#) == "party 🎉!")
        #expect(try Self.text(#""raw é and 🎉 stay""#) == "raw é and 🎉 stay")
    }

    @Test func aLoneSurrogateBecomesTheReplacementCharacter() throws {
        #expect(try Self.text(#""x\ud83cy""#) == "x\u{FFFD}y")
        #expect(try Self.text(#""\udf89""#) == "\u{FFFD}")
        #expect(try Self.text(#""\ud83c\u0041""#) == "\u{FFFD}A")
    }
}
