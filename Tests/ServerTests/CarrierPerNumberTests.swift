import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import Testing

/// The region plan puts phone numbers on carriers: a call to a listed number is taken only from
/// its carrier's webhook (another carrier's is refused and counted), a number not listed from any;
/// and a number can have its carrier stream other audio than the relay's setting.
@Suite struct CarrierPerNumberTests {
    static let plan = RegionPlan(numbers: ["+4930555": .init(carrier: "telnyx"), "+447700900000": .init(carrier: "vonage"),
                                           "+4930556": .init(carrier: "telnyx", audio: "OPUS"),
                                           "+4930557": .init(carrier: "plivo", audio: "audio/x-mulaw;rate=8000")])

    static func twilio(_ client: some TestClientProtocol, to number: String, path: String = "/twiml") async throws -> HTTPResponse.Status {
        let to = number.replacingOccurrences(of: "+", with: "%2B")
        return try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                        body: ByteBuffer(string: "CallSid=CA1&AccountSid=AC1&From=%2B1555&To=\(to)")).status
    }

    @Test func aListedNumberIsTakenOnlyThroughItsCarrier() async throws {
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "fra"), model: LocalAgent(),
                                plan: Self.plan)
        try await relay.makeApplication().test(.live) { client in
            #expect(try await Self.twilio(client, to: "+4930555") == .forbidden)
            #expect(try await Self.twilio(client, to: "+4930555", path: "/telnyx/texml") == .ok)
            let plivo = try await client.execute(uri: "/plivo/answer", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "CallUUID=7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6a&From=1555&To=4930555"))
            #expect(plivo.status == .forbidden)
            #expect(String(buffer: plivo.body).contains("+4930555 is on telnyx, not plivo"))
            let vonage = try await client.execute(uri: "/vonage/answer?to=447700900000&from=1555&uuid=63f61863-4a51-4f6b-86e1-46edebcf9356",
                                                  method: .get)
            #expect(vonage.status == .ok)
            #expect(try await Self.twilio(client, to: "+447700900000") == .forbidden)
            // A number the plan does not list comes through any carrier.
            #expect(try await Self.twilio(client, to: "+14155550100") == .ok)
            #expect(try await Self.twilio(client, to: "+14155550100", path: "/telnyx/texml") == .ok)

            // Each number's audio: the plan's where it names one, the relay's setting otherwise.
            let opus = try await client.execute(uri: "/telnyx/texml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "CallSid=CA2&AccountSid=AC1&From=%2B1555&To=%2B4930556"))
            #expect(String(buffer: opus.body).contains(#"bidirectionalCodec="OPUS""#))
            let pcmu = try await client.execute(uri: "/telnyx/texml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "CallSid=CA3&AccountSid=AC1&From=%2B1555&To=%2B4930555"))
            #expect(String(buffer: pcmu.body).contains(#"bidirectionalCodec="PCMU""#))
            let narrow = try await client.execute(uri: "/plivo/answer", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "CallUUID=7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6b&From=1555&To=4930557"))
            #expect(String(buffer: narrow.body).contains(#"contentType="audio/x-mulaw;rate=8000""#))

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"reason="wrong-carrier"} 3"#), "\(metrics.split(separator: "\n").filter { $0.contains("wrong-carrier") })")
        }
    }
}
