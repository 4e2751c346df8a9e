import ArgumentParser
import CallRecords
import Foundation
import Logging
import Server

/// `voice-relay calls [--since 2h] [--json]`: recent calls from the relay's store.
struct CallsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "List recent calls from the call records (SQLite in --data-dir, or DATABASE_URL), or show one call."
    )

    @Option(help: "Calls since an ISO 8601 time or a span back from now (90s, 15m, 2h, 7d).") var since: String?
    @Option(help: "At most this many calls.") var limit: Int = 50
    @Option(help: "Show one call with its turns and events.") var call: String?
    @Option(name: .customLong("data-dir"), help: "The relay's data directory (env DATA_DIR).")
    var dataDirectory: String = ProcessInfo.processInfo.environment["DATA_DIR"] ?? "data"
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var sinceDate: Date?
        if let since {
            guard let parsed = CallRecordsQuery.parseSince(since) else {
                throw CommandFailure("--since takes an ISO 8601 time or a span like 15m, 2h, 7d")
            }
            sinceDate = parsed
        }
        var logger = Logger(label: "voice-relay")
        logger.logLevel = .error
        let location = CallStoreLocation(databaseURL: ProcessInfo.processInfo.environment["DATABASE_URL"], dataDirectory: dataDirectory)
        if location.databaseURL == nil, !FileManager.default.fileExists(atPath: (dataDirectory as NSString).appendingPathComponent("calls.sqlite")) {
            throw CommandFailure("no call records in \(dataDirectory) (give --data-dir, or set DATABASE_URL)")
        }
        let store = try location.open(logger: logger)
        defer { Task { await store.close() } }
        do {
            try await store.migrate()
            if let call {
                guard let detail = try await store.call(sid: call) else { throw CommandFailure("no call \(call)") }
                print(json ? String(decoding: try CallRecordsQuery.encoder.encode(detail), as: UTF8.self) : Self.describe(detail))
                return
            }
            let calls = try await store.calls(since: sinceDate, limit: limit)
            if json {
                print(String(decoding: try CallRecordsQuery.encoder.encode(calls), as: UTF8.self))
            } else {
                print("started                   call sid                            region  tenant          seconds  v2v p50  end")
                for call in calls { print(Self.line(call)) }
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("cannot read call records: \(error)")
        }
    }

    static func line(_ call: CallRecord) -> String {
        let seconds = call.endedAt.map { String(format: "%7.1f", $0.timeIntervalSince(call.startedAt)) } ?? "   live"
        let latency = call.voiceToVoiceP50Ms.map { String(format: "%6.0fms", $0) } ?? "       -"
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        return "\(pad(call.startedAt.formatted(.iso8601), 25)) \(pad(call.callSid, 35)) \(pad(call.region, 7)) \(pad(call.tenant, 15)) \(seconds)  \(latency)  \(call.endReason ?? "")"
    }

    static func describe(_ detail: CallDetail) -> String {
        var lines = [line(detail.call)]
        let call = detail.call
        lines.append("frames in \(call.framesIn), out \(call.framesOut), lost \(call.framesLost), concealed \(call.framesConcealed); barge-ins \(call.bargeIns), model reconnects \(call.reconnects)")
        for turn in detail.turns {
            let offset = String(format: "%6.1fs", turn.startedAt.timeIntervalSince(call.startedAt))
            let played = turn.audioPlayedMs.map { ", \($0) ms heard" } ?? ""
            lines.append("  \(offset) \(turn.speaker.rawValue)\(turn.interrupted ? " (interrupted)" : "")\(played): \(turn.transcript ?? "")")
        }
        for event in detail.events {
            lines.append(String(format: "  %6.1fs ", event.at.timeIntervalSince(call.startedAt)) + "\(event.kind) \(event.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
