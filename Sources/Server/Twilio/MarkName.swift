/// Mark names the relay sends: `<item>:<offsetMs>`, the response item and where in it the
/// marked audio ends, so an echo tells the pacer exactly what has played.
public enum MarkName {
    public static func parse(_ name: String) -> (item: UInt32, offsetMs: UInt32)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let item = UInt32(parts[0]), let offset = UInt32(parts[1]) else { return nil }
        return (item, offset)
    }
}
