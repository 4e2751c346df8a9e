import Crypto
import Foundation

/// Telnyx's webhook signature: Ed25519 over `"<telnyx-timestamp>|<raw body>"` with the account's
/// key, base64 in `telnyx-signature-ed25519`; the relay holds only the public key, and a request
/// whose timestamp is outside the tolerance is refused (a replayed request carries its old one).
public struct TelnyxSignature: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missingHeaders
        case malformed
        case stale(seconds: Int)
        case mismatch

        public var description: String {
            switch self {
            case .missingHeaders: "telnyx-signature-ed25519 or telnyx-timestamp is missing"
            case .malformed: "the signature or timestamp is malformed"
            case .stale(let seconds): "the timestamp is \(seconds) s from now, outside the tolerance"
            case .mismatch: "the signature does not match the body"
            }
        }
    }

    public static let signatureHeader = "telnyx-signature-ed25519"
    public static let timestampHeader = "telnyx-timestamp"

    public let publicKey: Curve25519.Signing.PublicKey
    /// How far a timestamp may be from now, either way (Telnyx's SDKs use 5 minutes).
    public var toleranceSeconds: Int

    /// `publicKey` as Telnyx's portal shows it: 32 bytes, base64.
    public init(publicKey: String, toleranceSeconds: Int = 300) throws {
        guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else { throw Failure.malformed }
        self.publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        self.toleranceSeconds = toleranceSeconds
    }

    public func verify(signature: String?, timestamp: String?, body: some DataProtocol, now: Date = Date()) throws(Failure) {
        guard let signature, let timestamp else { throw .missingHeaders }
        guard let seconds = Int(timestamp), let raw = Data(base64Encoded: signature), raw.count == 64 else { throw .malformed }
        let skew = seconds - Int(now.timeIntervalSince1970)
        guard abs(skew) <= toleranceSeconds else { throw .stale(seconds: skew) }
        guard publicKey.isValidSignature(raw, for: Self.signedBytes(timestamp: timestamp, body: body)) else { throw .mismatch }
    }

    /// The bytes signed: the timestamp, `|`, the body as sent.
    static func signedBytes(timestamp: String, body: some DataProtocol) -> Data {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "|"))
        message.append(contentsOf: body)
        return message
    }

    /// Signs as Telnyx does (the simulated Telnyx, and tests): the header values for `body`.
    public static func sign(body: some DataProtocol, at date: Date = Date(), with key: Curve25519.Signing.PrivateKey)
        throws -> (signature: String, timestamp: String) {
        let timestamp = String(Int(date.timeIntervalSince1970))
        let signature = try key.signature(for: signedBytes(timestamp: timestamp, body: body))
        return (signature.base64EncodedString(), timestamp)
    }
}
