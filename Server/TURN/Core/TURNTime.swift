/// A point in wall-clock time, nanoseconds since the Unix epoch, as the sans-IO core sees it.
///
/// The core never reads a clock: every entry point takes `now`. Wall-clock time (not a monotonic clock) because TURN
/// REST usernames carry a Unix expiry timestamp (draft-uberti-behave-turn-rest-00 §2.2) that must be compared with
/// the same clock the lifetimes use. Tests pass virtual times.
public struct TURNTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Whole seconds since the Unix epoch.
    public static func seconds(_ seconds: Int64) -> TURNTime {
        TURNTime(nanosecondsSinceEpoch: seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue)
    }

    /// Whole seconds since the Unix epoch (rounded down).
    public var unixSeconds: Int64 { nanosecondsSinceEpoch / 1_000_000_000 }

    /// This time plus `seconds`, saturating instead of overflowing.
    public func adding(seconds: Int64) -> TURNTime {
        let (delta, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return TURNTime(nanosecondsSinceEpoch: seconds > 0 ? .max : .min) }
        let (sum, sumOverflow) = nanosecondsSinceEpoch.addingReportingOverflow(delta)
        if sumOverflow { return TURNTime(nanosecondsSinceEpoch: delta > 0 ? .max : .min) }
        return TURNTime(nanosecondsSinceEpoch: sum)
    }

    /// This time plus `nanoseconds`, saturating.
    public func adding(nanoseconds: Int64) -> TURNTime {
        let (sum, overflow) = nanosecondsSinceEpoch.addingReportingOverflow(nanoseconds)
        if overflow { return TURNTime(nanosecondsSinceEpoch: nanoseconds > 0 ? .max : .min) }
        return TURNTime(nanosecondsSinceEpoch: sum)
    }

    public static func < (lhs: TURNTime, rhs: TURNTime) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    public var description: String { "\(unixSeconds)s" }
}
