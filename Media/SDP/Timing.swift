/// A `t=` line and the `r=` lines that follow it (RFC 8866 §5.9, §5.10). WebRTC always writes `t=0 0`.
public struct Timing: Hashable, Sendable {
    /// NTP start time in seconds, 0 for "unbounded".
    public var start: UInt64
    /// NTP stop time in seconds, 0 for "unbounded".
    public var stop: UInt64
    /// The values of the `r=` lines after this `t=`, kept as written.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> Timing {
        let fields = value.fields()
        guard fields.count == 2 else {
            throw .badTiming(line: line, reason: "expected \"start stop\", found \(fields.count) fields")
        }
        guard let start: UInt64 = parseDecimal(fields[0]), let stop: UInt64 = parseDecimal(fields[1]) else {
            throw .badTiming(line: line, reason: "times must be decimal numbers")
        }
        return Timing(start: start, stop: stop)
    }

    func write(to out: inout String) {
        out += String(start)
        out += " "
        out += String(stop)
    }
}
