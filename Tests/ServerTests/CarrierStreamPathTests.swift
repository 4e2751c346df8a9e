import HTTPTypes
@testable import Server
import Testing

/// What a stream's URL tells the relay before the upgrade: which carrier, which regions, which
/// call, and (for carriers that do not sign upgrades) whether this relay handed the URL out.
@Suite struct CarrierStreamPathTests {
    static func head(_ path: String) -> HTTPRequest {
        HTTPRequest(method: .get, scheme: nil, authority: "relay.test", path: path)
    }

    @Test func eachCarriersStreamPathIsReadTheSameWay() {
        let twilio = Self.head("/media-stream/fra/fra,ams/CA0123456789abcdef0123456789abcdef")
        let plivo = Self.head("/plivo/media-stream/fra/fra,ams/7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6a/AAAAAAAAAAAAAAAAAAAAAA")
        #expect(RelayServer.streamCarrier(twilio, served: .all) == .twilio)
        #expect(RelayServer.streamCarrier(plivo, served: .all) == .plivo)
        #expect(RelayServer.streamCarrier(plivo, served: .init(plivo: false, telnyx: true, vonage: true)) == nil)
        #expect(RelayServer.streamCarrier(Self.head("/plivo/answer"), served: .all) == nil)
        let telnyx = Self.head("/telnyx/media-stream/fra/fra,ams/v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ/AAAAAAAAAAAAAAAAAAAAAA")
        #expect(RelayServer.streamCarrier(telnyx, served: .all) == .telnyx)
        #expect(RelayServer.streamCarrier(telnyx, served: .init(plivo: true, telnyx: false, vonage: true)) == nil)
        #expect(RelayServer.streamCallSid(telnyx) == "v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ")
        #expect(RelayServer.streamRequest(telnyx).allowedRegions == ["fra", "ams"])
        let vonage = Self.head("/vonage/media-stream/fra/fra,ams/63f61863-4a51-4f6b-86e1-46edebcf9356/AAAAAAAAAAAAAAAAAAAAAA")
        #expect(RelayServer.streamCarrier(vonage, served: .all) == .vonage)
        #expect(RelayServer.streamCarrier(vonage, served: .init(plivo: true, telnyx: true, vonage: false)) == nil)
        #expect(RelayServer.streamCarrier(Self.head("/vonage/answer"), served: .all) == nil)
        #expect(RelayServer.streamCallSid(vonage) == "63f61863-4a51-4f6b-86e1-46edebcf9356")
        for head in [twilio, plivo, vonage] {
            let request = RelayServer.streamRequest(head)
            #expect(request.homeRegion == "fra")
            #expect(request.allowedRegions == ["fra", "ams"])
        }
        #expect(RelayServer.streamCallSid(twilio) == "CA0123456789abcdef0123456789abcdef")
        #expect(RelayServer.streamCallSid(plivo) == "7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6a")
        #expect(RelayServer.streamCallSid(Self.head("/plivo/media-stream/fra")) == nil)
        #expect(RelayServer.streamRequest(Self.head("/plivo/media-stream")).homeRegion == nil)
        #expect(!RelayServer.isCallIdentifier("fra") && !RelayServer.isCallIdentifier("AAAAAAAAAAAAAAAAAAAAAA"))
    }

    @Test func aTicketAdmitsOnlyThePathItWasMadeFor() {
        let ticket = StreamTicket(secret: "token-a")
        let path = "/plivo/media-stream/fra/7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6a"
        let ticketed = ticket.ticketed(path)
        #expect(ticket.admits(ticketed))
        #expect(ticket.admits(ticketed + "?x=1"))
        #expect(!ticket.admits(path))
        #expect(!StreamTicket(secret: "token-b").admits(ticketed))
        // Another call's ticket does not open this call's stream.
        let other = ticket.ticketed("/plivo/media-stream/fra/00000000-0b4f-4c3e-9a8d-1f2e3d4c5b6a")
        #expect(!ticket.admits(path + "/" + other.split(separator: "/").last!))
    }

    @Test func aNonceIsTakenOnceWhileRemembered() {
        let ledger = NonceLedger(retention: .seconds(10), capacity: 3)
        #expect(ledger.take("a", nowNs: 0))
        #expect(!ledger.take("a", nowNs: 1_000_000_000))
        #expect(ledger.take("b", nowNs: 2_000_000_000))
        // Past its retention a nonce is forgotten (Plivo's signature alone then decides).
        #expect(ledger.take("a", nowNs: 11_000_000_001))
        // Beyond capacity the oldest go first.
        #expect(ledger.take("c", nowNs: 11_000_000_002) && ledger.take("d", nowNs: 11_000_000_003))
        #expect(ledger.take("b", nowNs: 11_000_000_004))
        #expect(!ledger.take("d", nowNs: 11_000_000_005))
    }
}

extension RelayServer.StreamCarrier.Served {
    static var all: Self { .init(plivo: true, telnyx: true, vonage: true) }
}
