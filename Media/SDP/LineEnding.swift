/// How lines end. RFC 8866 §5 requires CRLF but asks parsers to accept a bare LF; a parsed description remembers
/// which it saw so it serializes back to the same bytes.
public enum LineEnding: String, Hashable, Sendable {
    /// `\r\n`, what WebRTC stacks write.
    case crlf = "\r\n"
    /// `\n`.
    case lf = "\n"
}
