/// Which side of the DTLS handshake an endpoint plays: the client sends the ClientHello (RFC 6347 §4.2).
public enum DTLSRole: String, Hashable, Sendable {
    case client
    case server
}

/// The SDP `a=setup` attribute (RFC 4145 §4), which decides the DTLS role in WebRTC (RFC 5763 §5, RFC 8842 §5).
public enum DTLSSetup: String, Hashable, Sendable, CaseIterable {
    /// "I will start the handshake": the DTLS client.
    case active
    /// "I will wait for the handshake": the DTLS server.
    case passive
    /// "Either": only allowed in an offer (RFC 8842 §5.2); the answerer chooses.
    case actpass
    /// "Not now": no connection (RFC 4145 §4); not used by WebRTC.
    case holdconn

    /// The setup an answerer writes for a given offered setup (RFC 8842 §5.3: an answer to `actpass` SHOULD be
    /// `active`, which is what browsers do, so the answerer starts the handshake without waiting). Nil for
    /// `holdconn`, which WebRTC does not use.
    public static func answer(toOffered offered: DTLSSetup) -> DTLSSetup? {
        switch offered {
        case .actpass, .passive: .active
        case .active: .passive
        case .holdconn: nil
        }
    }

    /// The local DTLS role once both setups are known (RFC 5763 §5, RFC 8842 §5.2): `active` is the client and
    /// `passive` the server; an `actpass` side takes the opposite of the other side's definite choice.
    /// Throws when the pair does not decide a role (both `active`, both `passive`, both `actpass`, or `holdconn`).
    public static func role(local: DTLSSetup, remote: DTLSSetup) throws(DTLSError) -> DTLSRole {
        switch (local, remote) {
        case (.active, .passive), (.active, .actpass), (.actpass, .passive): .client
        case (.passive, .active), (.passive, .actpass), (.actpass, .active): .server
        default: throw DTLSError.incompatibleSetup(local: local, remote: remote)
        }
    }
}
