/// Plivo XML documents the relay answers Plivo's webhooks with.
enum PlivoXML {
    /// A bidirectional `<Stream>` that keeps the call up while it lasts (`keepCallAlive`), in
    /// `contentType` (`audio/x-mulaw;rate=8000`, `audio/x-l16;rate=16000`). Per-call values travel
    /// as `extraHeaders`, which Plivo hands back in `start`; it allows only letters and digits in
    /// them, so values are reduced to those.
    static func stream(url: String, contentType: String, extraHeaders: [(name: String, value: String)]) -> String {
        let headers = extraHeaders.map { "\(plain($0.name))=\(plain($0.value))" }.joined(separator: ",")
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response>\n"
        xml += #"  <Stream bidirectional="true" keepCallAlive="true" contentType="\#(TwiML.escape(contentType))""#
        if !headers.isEmpty { xml += #" extraHeaders="\#(headers)""# }
        xml += ">\(TwiML.escape(url))</Stream>\n</Response>\n"
        return xml
    }

    private static func plain(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }.map(Character.init))
    }
}
