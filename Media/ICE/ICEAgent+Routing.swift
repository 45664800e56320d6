import NIOCore
import STUN

extension ICEAgent {
    /// The ufrag a Binding request is addressed to: the part of USERNAME before the colon (RFC 8445 §7.2.2,
    /// `<receiver ufrag>:<sender ufrag>`). A server sharing one UDP port among many lite agents uses it to hand
    /// a check from an unknown 5-tuple to the agent whose ``localCredentials`` carry that ufrag; later datagrams
    /// follow the selected pair's 5-tuple. Nil for anything else (including malformed STUN). The request is not
    /// authenticated here: the agent does that in ``handleReceive(_:from:to:now:)``.
    public static func recipientUsernameFragment(of datagram: ByteBuffer) -> String? {
        guard STUNMessage.looksLikeSTUN(datagram), let message = try? STUNMessage(parsing: datagram),
            message.method == .binding, message.messageClass == .request, let username = message.username,
            let colon = username.firstIndex(of: ":")
        else { return nil }
        return String(username[..<colon])
    }
}
