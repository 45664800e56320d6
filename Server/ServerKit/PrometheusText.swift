/// Builds the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE` and sample lines, label
/// values escaped as the format requires (backslash, double quote, newline).
public struct PrometheusText: Sendable {
    public private(set) var text = ""

    public init() {}

    public enum MetricType: String, Sendable {
        case counter, gauge
    }

    /// Declares a metric family once, before its samples.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        text += "# HELP \(name) \(help.replacingBackslashesAndNewlines())\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample, with optional labels.
    public mutating func sample(_ name: String, _ value: some BinaryInteger, labels: KeyValuePairs<String, String> = [:]) {
        text += name + Self.render(labels) + " \(value)\n"
    }

    /// One sample of a floating-point value.
    public mutating func sample(_ name: String, _ value: Double, labels: KeyValuePairs<String, String> = [:]) {
        text += name + Self.render(labels) + " \(value)\n"
    }

    private static func render(_ labels: KeyValuePairs<String, String>) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { key, value in
            var escaped = ""
            for character in value {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return "\(key)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

extension String {
    fileprivate func replacingBackslashesAndNewlines() -> String {
        var out = ""
        for character in self {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
