import Crypto
import Foundation
import Wire

/// A stream URL's proof that this relay handed it out. Twilio signs its stream upgrades; carriers
/// that do not (Plivo) would let anyone who guesses the path open a model session, which costs
/// money. So the webhook, which the carrier did sign, names the stream at a path that ends in an
/// HMAC of the rest of the path under the carrier's auth token, and the upgrade must present it.
struct StreamTicket: Sendable {
    private let key: SymmetricKey

    init(secret: String) {
        key = SymmetricKey(data: Data(("voice-relay stream ticket|" + secret).utf8))
    }

    /// `path` with its ticket appended as a last segment.
    func ticketed(_ path: String) -> String {
        path + "/" + ticket(for: path)
    }

    /// Whether `path` (query ignored) ends in the ticket of what precedes it.
    func admits(_ path: String) -> Bool {
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard let slash = bare.lastIndex(of: "/") else { return false }
        let given = bare[bare.index(after: slash)...]
        return ConstantTime.equals(given, ticket(for: String(bare[..<slash])))
    }

    /// 22 base64url characters: 128 bits of the HMAC, short enough for any stream URL.
    private func ticket(for path: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(path.utf8), using: key)
        return String(Data(mac).base64EncodedString().prefix(22))
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
