/// TwiML documents the relay returns to Twilio's webhooks.
public enum TwiML {
    /// `<Connect><Stream>`: a bidirectional media stream to `streamURL` (`wss://...`, no query
    /// string: per-call values travel as `<Parameter>`s and come back in `start.customParameters`).
    /// `attributes` are added to `<Stream>` (Telnyx's TeXML: `bidirectionalMode`, `bidirectionalCodec`).
    public static func connectStream(url streamURL: String, attributes: [(name: String, value: String)] = [],
                                     parameters: [(name: String, value: String)]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response>\n  <Connect>\n"
        let extra = attributes.map { #" \#($0.name)="\#(escape($0.value))""# }.joined()
        xml += #"    <Stream url="\#(escape(streamURL))"\#(extra)>"# + "\n"
        for parameter in parameters {
            xml += #"      <Parameter name="\#(escape(parameter.name))" value="\#(escape(parameter.value))"/>"# + "\n"
        }
        xml += "    </Stream>\n  </Connect>\n</Response>\n"
        return xml
    }

    /// XML attribute escaping.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
