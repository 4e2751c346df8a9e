import Crypto
import Foundation

/// Plivo's V3 request signature (`X-Plivo-Signature-V3`, with `X-Plivo-Signature-V3-Nonce`):
/// base64 HMAC-SHA256 with the auth token over `"<base>.<nonce>"`, where for a POST the base is
/// the URL without its query, then `?` and its query parameters sorted as `k=v&k=v`, a `.` when
/// there are both, and the form's parameters sorted and written as `kv` with no separators (a GET
/// merges them into the query). The header may carry several signatures, comma-separated (one
/// per token, while a token is being rotated). The nonce makes each request's signature unique:
/// the caller of ``isValid`` must refuse one it has seen (``NonceLedger``).
public struct PlivoSignature: Sendable {
    public static let signatureHeader = "X-Plivo-Signature-V3"
    public static let nonceHeader = "X-Plivo-Signature-V3-Nonce"

    public let authToken: String

    public init(authToken: String) { self.authToken = authToken }

    public func compute(method: String, url: String, parameters: [(name: String, value: String)], nonce: String) -> String {
        let base = Self.base(method: method, url: url, parameters: parameters)
        let mac = HMAC<SHA256>.authenticationCode(for: Data((base + "." + nonce).utf8), using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether any of the header's signatures is this request's (compared in constant time).
    public func isValid(_ header: String, method: String, url: String, parameters: [(name: String, value: String)], nonce: String) -> Bool {
        let expected = compute(method: method, url: url, parameters: parameters, nonce: nonce)
        return header.split(separator: ",").map { ConstantTime.equals($0.trimmingCharacters(in: .whitespaces), expected) }.contains(true)
    }

    static func base(method: String, url: String, parameters: [(name: String, value: String)]) -> String {
        let (stem, query) = Self.split(url)
        if method.uppercased() == "GET" {
            let all = query + parameters
            return all.isEmpty ? stem : stem + "?" + Self.queryString(all)
        }
        var base = stem
        if !query.isEmpty || !parameters.isEmpty { base += "?" + Self.queryString(query) }
        if !query.isEmpty, !parameters.isEmpty { base += "." }
        return base + parameters.sorted(by: Self.order).map { $0.name + $0.value }.joined()
    }

    /// Sorted by name, then value (Plivo's order for repeated names).
    private static func order(_ a: (name: String, value: String), _ b: (name: String, value: String)) -> Bool {
        a.name == b.name ? a.value < b.value : a.name < b.name
    }

    private static func queryString(_ pairs: [(name: String, value: String)]) -> String {
        pairs.sorted(by: order).map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// The URL without its query or fragment, and the query's parameters decoded.
    private static func split(_ url: String) -> (String, [(name: String, value: String)]) {
        let withoutFragment = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
        let parts = withoutFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return (withoutFragment, []) }
        let pairs = parts[1].split(separator: "&").map { item -> (name: String, value: String) in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            return (decode(pair[0]), pair.count > 1 ? decode(pair[1]) : "")
        }
        return (String(parts[0]), pairs)
    }
}
