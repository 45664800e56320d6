import NIOCore

/// Time limits for one delivery attempt. RFC 5321 §4.5.3.2 suggests minutes per step for patient relays; a
/// submitting client that has other servers to try can give up sooner, so the defaults are shorter.
public struct SMTPTimeouts: Sendable, Hashable {
    /// TCP connect.
    public var connect: TimeAmount
    /// Waiting for any one reply (greeting, each command, end of data), and for the TLS handshake.
    public var reply: TimeAmount
    /// The whole attempt, so a server that answers very slowly still cannot hold a delivery forever.
    public var total: TimeAmount

    public init(connect: TimeAmount = .seconds(10), reply: TimeAmount = .seconds(60),
        total: TimeAmount = .seconds(300))
    {
        self.connect = connect
        self.reply = reply
        self.total = total
    }
}
