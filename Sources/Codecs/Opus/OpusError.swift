import COpus

/// A libopus failure, one case per libopus error code, with what was being attempted.
public struct OpusError: Error, Equatable, CustomStringConvertible {
    public enum Code: Int32, Sendable {
        case badArgument = -1
        case bufferTooSmall = -2
        case internalError = -3
        case invalidPacket = -4
        case unimplemented = -5
        case invalidState = -6
        case allocationFailed = -7
        /// A code this wrapper does not know (a newer libopus).
        case unknown = -1000
    }

    public let code: Code
    /// The raw libopus return value.
    public let rawValue: Int32
    /// What the wrapper was doing, e.g. "opus_encode (960 samples)".
    public let operation: String

    init(rawValue: Int32, operation: String) {
        self.code = Code(rawValue: rawValue) ?? .unknown
        self.rawValue = rawValue
        self.operation = operation
    }

    public var description: String {
        "\(operation) failed: \(String(cString: opus_strerror(rawValue))) (libopus error \(rawValue))"
    }

    /// Returns `result` when it is not a libopus error code, throws otherwise.
    @inline(__always)
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(OpusError) -> Int {
        if result < 0 { throw OpusError(rawValue: result, operation: operation()) }
        return Int(result)
    }
}
