/// The relay ports of one address family that are free, in use, or reserved by EVEN-PORT (RFC 8656 §7.2,
/// §14.6). Ports are picked from a random starting point, as RFC 8656 §7.2 asks, to make them hard to guess.
struct RelayPortPool: Sendable {
    let range: ClosedRange<UInt16>
    private(set) var used: Set<UInt16> = []

    init(range: ClosedRange<UInt16>) {
        self.range = range
    }

    /// Takes a free port; `even` asks for an even one, `withNext` for an even one whose successor is also free
    /// (both are taken). Nil when none is left.
    mutating func take(even: Bool, withNext: Bool) -> UInt16? {
        let count = range.count
        guard count > 0, used.count < count else { return nil }
        let start = Int.random(in: 0..<count)
        for step in 0..<count {
            let port = Int(range.lowerBound) + (start + step) % count
            if even || withNext, port % 2 != 0 { continue }
            guard let candidate = UInt16(exactly: port), !used.contains(candidate) else { continue }
            if withNext {
                guard candidate < range.upperBound, !used.contains(candidate + 1) else { continue }
                used.insert(candidate + 1)
            }
            used.insert(candidate)
            return candidate
        }
        return nil
    }

    mutating func release(_ port: UInt16) {
        used.remove(port)
    }
}
