import Crypto
import Foundation

/// Vonage's signed webhooks: a JWT in `Authorization: Bearer`, signed HS256 with the account's
/// signature secret. Its claims carry when it was issued (`iat`) and, for a request with a body,
/// the body's SHA-256 in hex (`payload_hash`), so the body is bound to the signature too.
public struct VonageSignedWebhook: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missing
        case malformed
        case mismatch
        case stale(seconds: Int)
        case bodyChanged

        public var description: String {
            switch self {
            case .missing: "no Bearer token in Authorization"
            case .malformed: "the token is not a JWT signed with HS256"
            case .mismatch: "the token's signature does not match the signature secret"
            case .stale(let seconds): "the token was issued \(seconds) s ago, outside the tolerance"
            case .bodyChanged: "the body's SHA-256 differs from the token's payload_hash"
            }
        }
    }

    public let signatureSecret: String
    /// How old (or how far ahead) `iat` may be.
    public var toleranceSeconds: Int

    public init(signatureSecret: String, toleranceSeconds: Int = 300) {
        self.signatureSecret = signatureSecret
        self.toleranceSeconds = toleranceSeconds
    }

    /// What a verified token says.
    public struct Claims: Sendable, Equatable {
        public var issuedAt: Int
        public var applicationID: String?
        /// `jti`: the token's own id, unique per request (so a replay can be told apart).
        public var tokenID: String?
    }

    /// Verifies the `Authorization` header for `body`.
    @discardableResult
    public func verify(authorization: String?, body: some DataProtocol, now: Date = Date()) throws(Failure) -> Claims {
        guard let authorization, authorization.hasPrefix("Bearer ") else { throw .missing }
        let parts = authorization.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.json(parts[0]), header["alg"] as? String == "HS256",
              let claims = Self.json(parts[1]), let signature = Self.base64URLDecoded(parts[2]) else { throw .malformed }
        let key = SymmetricKey(data: Data(signatureSecret.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key) else {
            throw .mismatch
        }
        guard let issued = (claims["iat"] as? NSNumber)?.intValue else { throw .malformed }
        let age = Int(now.timeIntervalSince1970) - issued
        guard abs(age) <= toleranceSeconds else { throw .stale(seconds: age) }
        if let hash = claims["payload_hash"] as? String {
            guard hash.lowercased() == Self.payloadHash(body) else { throw .bodyChanged }
        }
        return Claims(issuedAt: issued, applicationID: claims["application_id"] as? String, tokenID: claims["jti"] as? String)
    }

    /// A token as Vonage sends it (the simulated Vonage, and tests).
    public func sign(body: some DataProtocol, applicationID: String, at date: Date = Date()) -> String {
        let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        var claims: [String: Any] = ["iat": Int(date.timeIntervalSince1970), "jti": UUID().uuidString.lowercased(), "iss": "Vonage",
                                     "application_id": applicationID]
        if !body.isEmpty { claims["payload_hash"] = Self.payloadHash(body) }
        let payload = Self.base64URL((try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: Data(signatureSecret.utf8)))
        return "Bearer \(header).\(payload).\(Self.base64URL(Data(mac)))"
    }

    /// The body's SHA-256 in lowercase hex, as `payload_hash` carries it.
    private static func payloadHash(_ body: some DataProtocol) -> String {
        SHA256.hash(data: Data(body)).map { String(format: "%02x", $0) }.joined()
    }

    private static func json(_ part: Substring) -> [String: Any]? {
        base64URLDecoded(part).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecoded(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
