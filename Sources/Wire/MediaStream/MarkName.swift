/// Mark names the relay sends: `<item>:<offsetMs>`, the response item and where in it the
/// marked audio ends, so an echo tells the pacer exactly what has played.
public enum MarkName {
    /// Parses an echoed name without allocating (an echo arrives every fifth frame of agent audio).
    public static func parse(_ name: String) -> (item: UInt32, offsetMs: UInt32)? {
        guard let colon = name.utf8.firstIndex(of: UInt8(ascii: ":")),
              let item = UInt32(name[..<colon]),
              let offset = UInt32(name[name.index(after: colon)...]) else { return nil }
        return (item, offset)
    }
}
