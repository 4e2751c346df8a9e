import CallRecords
import Foundation
import Hummingbird
import NIOCore

/// The read side of call records over HTTP, for operators: `GET /calls?since=&limit=` and
/// `GET /calls/{callSid}`, JSON, behind `Authorization: Bearer <ADMIN_TOKEN>`.
struct CallRecordsAPI: Sendable {
    let store: any CallStore
    let adminToken: String?

    func register(on routes: Router<BasicRequestContext>) {
        routes.get("/calls") { request, _ -> Response in
            if let refusal = authorize(request) { return refusal }
            var since: Date?
            if let text = request.uri.queryParameters.get("since") {
                guard let parsed = CallRecordsQuery.parseSince(text) else {
                    return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "since: an ISO 8601 time or a span like 15m, 2h, 7d\n")))
                }
                since = parsed
            }
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init).map { min(max($0, 1), 1000) } ?? 100
            return try json(try await store.calls(since: since, limit: limit))
        }
        routes.get("/calls/{callSid}") { request, context -> Response in
            if let refusal = authorize(request) { return refusal }
            let sid = try context.parameters.require("callSid")
            guard let detail = try await store.call(sid: sid) else {
                return Response(status: .notFound, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"no such call"}"#)))
            }
            return try json(detail)
        }
    }

    private func authorize(_ request: Request) -> Response? {
        guard let adminToken else {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "the calls API is off: set ADMIN_TOKEN\n")))
        }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard AdminToken.matches(given, adminToken) else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
        }
        return nil
    }

    private func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try CallRecordsQuery.encoder.encode(value))))
    }
}

/// What the calls API and `voice-relay calls` share: how `since` is read and how records print.
public enum CallRecordsQuery {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// An ISO 8601 time (`2026-11-25T10:00:00Z`) or a span back from now (`90s`, `15m`, `2h`, `7d`).
    public static func parseSince(_ text: String, now: Date = Date()) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        guard let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 else { return nil }
        let seconds: Double
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86400
        default: return nil
        }
        return now.addingTimeInterval(-seconds)
    }
}
