/// Comparison of secrets-derived strings (signatures) that takes the same time wherever they
/// differ, so a forger cannot find the right bytes one at a time by timing the answers.
package enum ConstantTime {
    package static func equals(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        let (left, right) = (Array(a.utf8), Array(b.utf8))
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(left, right) { difference |= x ^ y }
        return difference == 0
    }
}
