import Crypto
import Foundation

/// How caller numbers go into call records: hashed (the default: calls from one number can
/// still be grouped, the number itself is not kept), in clear, or not at all.
public enum CallerNumbers: Sendable, Equatable {
    case hashed(salt: String)
    case plain
    case omitted

    /// `hashed`, `plain` or `omit` (env `CALLER_NUMBERS`); the salt comes from `CALLER_HASH_SALT`.
    public init?(setting: String, salt: String?) {
        switch setting {
        case "hashed": self = .hashed(salt: salt ?? "voice-relay")
        case "plain": self = .plain
        case "omit", "omitted": self = .omitted
        default: return nil
        }
    }

    /// What to store for `number`.
    public func record(_ number: String) -> String {
        switch self {
        case .plain: return number
        case .omitted: return ""
        case .hashed(let salt):
            guard !number.isEmpty else { return "" }
            let digest = SHA256.hash(data: Data((salt + ":" + number).utf8))
            return "sha256:" + digest.prefix(12).map { String(format: "%02x", $0) }.joined()
        }
    }
}
