import Crypto
import Foundation

/// Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed with the
/// account's Auth Token, over the full URL followed by every POST parameter's name and value,
/// sorted by name. The WebSocket upgrade is signed the same way over its `wss://` URL.
public struct TwilioSignature: Sendable {
    private let key: SymmetricKey

    public init(authToken: String) {
        self.key = SymmetricKey(data: Data(authToken.utf8))
    }

    /// The signature Twilio would send for `url` and `parameters`.
    public func compute(url: String, parameters: [(name: String, value: String)] = []) -> String {
        var message = Data(url.utf8)
        // Sorted by name; a name that repeats keeps its values in the order they came.
        for parameter in parameters.enumerated().sorted(by: { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) }) {
            message.append(contentsOf: parameter.element.name.utf8)
            message.append(contentsOf: parameter.element.value.utf8)
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key)
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` is right for the request, compared in constant time.
    public func isValid(_ signature: String, url: String, parameters: [(name: String, value: String)] = []) -> Bool {
        ConstantTime.equals(compute(url: url, parameters: parameters), signature)
    }
}
