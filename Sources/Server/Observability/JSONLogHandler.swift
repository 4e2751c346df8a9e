import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error: `time`, `level`, `message`, the logger's label,
/// and every metadata field (the relay sets `region`, and `call` and `stream` on a call's logger),
/// so log pipelines (Fly's, Loki, Datadog) can filter by call without parsing text.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, level: Logger.Level, metadata: Logger.Metadata = [:], output: JSONLogOutput = .standardError) {
        self.label = label
        self.logLevel = level
        self.metadata = metadata
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var object: [String: Any] = [:]
        for (key, value) in fields { object[key] = Self.json(value) }
        object["time"] = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
        object["level"] = event.level.rawValue
        object["message"] = event.message.description
        object["logger"] = label
        if event.level >= .error { object["source"] = "\(event.file):\(event.line)" }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        output.write(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(json)
        case .dictionary(let dictionary): dictionary.mapValues(json)
        }
    }
}

/// Where JSON log lines go: whole lines, never interleaved between threads.
public final class JSONLogOutput: Sendable {
    public static let standardError = JSONLogOutput(handle: .standardError)
    private let handle: Mutex<FileHandle>

    public init(handle: FileHandle) { self.handle = Mutex(handle) }

    func write(_ line: Data) { handle.withLock { $0.write(line) } }
}
