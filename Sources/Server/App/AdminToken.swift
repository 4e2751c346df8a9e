/// The admin token check shared by the calls API and the status page: compared in constant
/// time, so the time an answer takes tells nothing about how much of a guess was right.
enum AdminToken {
    static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        let (a, b) = (Array(given.utf8), Array(expected.utf8))
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count { difference |= (index < a.count ? a[index] : 0) ^ b[index] }
        return difference == 0
    }
}
