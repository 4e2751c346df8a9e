import Crypto
import Foundation
import TestFixtures
import Testing
import Wire

/// The three carriers' webhook signatures, checked both ways against the carriers' own Python
/// SDKs (`telnyx`, `plivo`, `vonage`): what our simulated carriers sign, the SDK accepts, and what
/// the SDK's scheme signs, the relay accepts; a wrong key, a stale time and a changed body fail.
@Suite struct CarrierSignatureTests {
    static let body = Data(#"{"data":{"event_type":"call.initiated","payload":{"call_control_id":"v3:abc","to":"+4930555","from":"+14155550100"}}}"#.utf8)

    // MARK: Telnyx

    @Test func telnyxSignaturesAgreeWithTheTelnyxSDK() throws {
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = key.publicKey.rawRepresentation.base64EncodedString()
        let (signature, timestamp) = try TelnyxSignature.sign(body: Self.body, with: key)
        let sdk = """
            import json, sys
            from telnyx.lib.webhook_verification import verify_webhook_signature, WebhookVerificationError
            d = json.load(sys.stdin)
            try:
                verify_webhook_signature(d["body"].encode(), {"telnyx-signature-ed25519": d["signature"], "telnyx-timestamp": d["timestamp"]}, d["key"])
                print("valid")
            except WebhookVerificationError as e:
                print("invalid: " + str(e))
            """
        let body = String(decoding: Self.body, as: UTF8.self)
        #expect(try PythonReference.run(sdk, input: ["body": body, "signature": signature, "timestamp": timestamp, "key": publicKey]) == "valid")
        let other = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        #expect(try PythonReference.run(sdk, input: ["body": body, "signature": signature, "timestamp": timestamp, "key": other]).hasPrefix("invalid"))

        // Signed by PyNaCl (the SDK's own dependency), verified here.
        let nacl = """
            import json, sys, base64
            from nacl.signing import SigningKey
            d = json.load(sys.stdin)
            k = SigningKey(base64.b64decode(d["seed"]))
            print(base64.b64encode(k.sign((d["timestamp"] + "|" + d["body"]).encode()).signature).decode())
            """
        let seed = key.rawRepresentation.base64EncodedString()
        let theirs = try PythonReference.run(nacl, input: ["seed": seed, "timestamp": timestamp, "body": body])
        let check = try TelnyxSignature(publicKey: publicKey)
        try check.verify(signature: theirs, timestamp: timestamp, body: Self.body)
        #expect(throws: TelnyxSignature.Failure.mismatch) {
            try TelnyxSignature(publicKey: other).verify(signature: theirs, timestamp: timestamp, body: Self.body)
        }
        #expect(throws: TelnyxSignature.Failure.mismatch) {
            try check.verify(signature: theirs, timestamp: timestamp, body: Self.body + Data(" ".utf8))
        }
        #expect(throws: TelnyxSignature.Failure.missingHeaders) { try check.verify(signature: nil, timestamp: timestamp, body: Self.body) }
    }

    @Test func aStaleTelnyxTimestampIsRefusedLikeTheSDKRefusesIt() throws {
        let key = Curve25519.Signing.PrivateKey()
        let tenMinutesAgo = Date().addingTimeInterval(-600)
        let (signature, timestamp) = try TelnyxSignature.sign(body: Self.body, at: tenMinutesAgo, with: key)
        let check = try TelnyxSignature(publicKey: key.publicKey.rawRepresentation.base64EncodedString())
        #expect(throws: TelnyxSignature.Failure.self) { try check.verify(signature: signature, timestamp: timestamp, body: Self.body) }
        // Within the tolerance of when it was signed, the same request is good.
        try check.verify(signature: signature, timestamp: timestamp, body: Self.body, now: tenMinutesAgo.addingTimeInterval(30))
    }

    // MARK: Plivo

    static let plivoToken = "MjA4ZjM1NzQ4NTBmNDhiZTg1MzM0ZDZiYTNjMzIx"

    static let plivoCases: [(method: String, url: String, parameters: [(name: String, value: String)])] = [
        ("POST", "https://relay.example.com/plivo/answer", [("CallUUID", "7a5d1e2c"), ("From", "14155550100"), ("To", "4930555"), ("Direction", "inbound")]),
        ("POST", "https://relay.example.com/plivo/answer?tenant=acme&b=2", [("CallUUID", "7a5d1e2c"), ("Event", "StartApp")]),
        ("GET", "https://relay.example.com/plivo/answer?CallUUID=7a5d1e2c&From=14155550100", []),
        ("POST", "https://relay.example.com/plivo/answer", []),
    ]

    @Test func plivoSignaturesAgreeWithThePlivoSDK() throws {
        let sdk = """
            import json, sys
            from plivo.utils.signature_v3 import validate_v3_signature
            d = json.load(sys.stdin)
            print("valid" if validate_v3_signature(d["method"], d["url"], d["nonce"], d["token"], d["signature"], dict(d["params"])) else "invalid")
            """
        let signer = PlivoSignature(authToken: Self.plivoToken)
        for (index, request) in Self.plivoCases.enumerated() {
            let nonce = "4815162342\(index)"
            let signature = signer.compute(method: request.method, url: request.url, parameters: request.parameters, nonce: nonce)
            func sdkSays(_ signature: String, token: String = Self.plivoToken) throws -> String {
                try PythonReference.run(sdk, input: ["method": request.method, "url": request.url, "nonce": nonce, "token": token,
                                                     "signature": signature, "params": request.parameters.map { [$0.name, $0.value] }])
            }
            #expect(try sdkSays(signature) == "valid", "\(request.method) \(request.url)")
            #expect(try sdkSays("c29tZXRoaW5nIGVsc2U=," + signature) == "valid", "a rotated token's signature first")
            #expect(try sdkSays(signature, token: "another-token") == "invalid")
            #expect(signer.isValid("c29tZXRoaW5nIGVsc2U=," + signature, method: request.method, url: request.url,
                                   parameters: request.parameters, nonce: nonce))
            #expect(!signer.isValid(signature, method: request.method, url: request.url, parameters: request.parameters, nonce: nonce + "0"))
            #expect(!PlivoSignature(authToken: "another-token").isValid(signature, method: request.method, url: request.url,
                                                                       parameters: request.parameters, nonce: nonce))
        }
    }

    // MARK: Vonage

    @Test func vonageTokensAgreeWithTheVonageSDK() throws {
        let secret = "a-signature-secret-of-thirty-two-b"
        let signer = VonageSignedWebhook(signatureSecret: secret)
        let token = signer.sign(body: Self.body, applicationID: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")
        let sdk = """
            import json, sys
            from vonage_jwt.verify_jwt import verify_signature
            d = json.load(sys.stdin)
            print("valid" if verify_signature(d["token"], d["secret"]) else "invalid")
            """
        let bare = String(token.dropFirst("Bearer ".count))
        #expect(try PythonReference.run(sdk, input: ["token": bare, "secret": secret]) == "valid")
        #expect(try PythonReference.run(sdk, input: ["token": bare, "secret": "another-secret-of-thirty-two-byte"]) == "invalid")

        // A token made by PyJWT (the SDK's own dependency), with the claims Vonage sends.
        let pyjwt = """
            import json, sys, time, hashlib, jwt
            d = json.load(sys.stdin)
            claims = {"iat": int(time.time()) + d["offset"], "jti": "b6f2c1d3", "iss": "Vonage", "api_key": "abc123",
                      "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
                      "payload_hash": hashlib.sha256(d["body"].encode()).hexdigest()}
            print(jwt.encode(claims, d["secret"], algorithm="HS256"))
            """
        let body = String(decoding: Self.body, as: UTF8.self)
        let theirs = "Bearer " + (try PythonReference.run(pyjwt, input: ["body": body, "secret": secret, "offset": 0]))
        let claims = try signer.verify(authorization: theirs, body: Self.body)
        #expect(claims.applicationID == "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")
        #expect(throws: VonageSignedWebhook.Failure.mismatch) {
            try VonageSignedWebhook(signatureSecret: "another-secret").verify(authorization: theirs, body: Self.body)
        }
        #expect(throws: VonageSignedWebhook.Failure.bodyChanged) { try signer.verify(authorization: theirs, body: Self.body + Data("x".utf8)) }
        let old = "Bearer " + (try PythonReference.run(pyjwt, input: ["body": body, "secret": secret, "offset": -900]))
        #expect(throws: VonageSignedWebhook.Failure.self) { try signer.verify(authorization: old, body: Self.body) }
        #expect(throws: VonageSignedWebhook.Failure.missing) { try signer.verify(authorization: nil, body: Self.body) }
    }
}
