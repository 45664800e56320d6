import NIOCore
import SDP

extension Candidate {
    /// A remote candidate from its `a=candidate` / trickle form (RFC 8839 §5.1).
    ///
    /// - Throws: ``ICEError/unsupportedTransport(_:)`` for TCP and other transports,
    ///   ``ICEError/unsupportedCandidateType(_:)`` for unknown types, ``ICEError/unresolvableAddress(_:)`` for
    ///   an address that is not an IP literal (an mDNS `.local` name must be resolved by the caller first).
    public init(_ candidate: ICECandidate) throws(ICEError) {
        guard candidate.transport == .udp else { throw .unsupportedTransport(candidate.transport.token) }
        let kind: Kind
        switch candidate.kind {
        case .host: kind = .host
        case .serverReflexive: kind = .serverReflexive
        case .peerReflexive: kind = .peerReflexive
        case .relay: kind = .relay
        case .other(let token): throw .unsupportedCandidateType(token)
        }
        let address = try Self.socketAddress(candidate.address, port: candidate.port)
        var related: SocketAddress?
        if let relatedAddress = candidate.relatedAddress, let relatedPort = candidate.relatedPort {
            related = try? Self.socketAddress(relatedAddress, port: relatedPort)
        }
        self.init(
            kind: kind, address: address, priority: candidate.priority, foundation: candidate.foundation,
            component: candidate.component, relatedAddress: related)
    }

    /// The candidate as `a=candidate` / trickle ICE writes it. `usernameFragment` adds the `ufrag` extension
    /// that tells a trickled candidate's ICE generation (RFC 8838 §4.4). A candidate whose address is not an IP
    /// address (a Unix socket) gets address `0.0.0.0`, port 0; the agent never makes one.
    public func sdpCandidate(usernameFragment: String? = nil) -> ICECandidate {
        let sdpKind: ICECandidate.Kind
        switch kind {
        case .host: sdpKind = .host
        case .serverReflexive: sdpKind = .serverReflexive
        case .peerReflexive: sdpKind = .peerReflexive
        case .relay: sdpKind = .relay
        }
        var candidate = ICECandidate(
            foundation: foundation, component: component, transport: .udp, priority: priority,
            address: address.ipAddress ?? "0.0.0.0", port: UInt16(clamping: address.port ?? 0), kind: sdpKind)
        if let relatedAddress {
            candidate.relatedAddress = relatedAddress.ipAddress ?? "0.0.0.0"
            candidate.relatedPort = UInt16(clamping: relatedAddress.port ?? 0)
        } else if kind != .host {
            // RFC 8839 §5.1: raddr/rport are mandatory for non-host candidates; 0.0.0.0 0 hides the base.
            candidate.relatedAddress = base.hasSameFamily(as: address) && base != address
                ? (base.ipAddress ?? "0.0.0.0") : "0.0.0.0"
            candidate.relatedPort = base != address ? UInt16(clamping: base.port ?? 0) : 0
        }
        if let usernameFragment { candidate.usernameFragment = usernameFragment }
        return candidate
    }

    static func socketAddress(_ text: String, port: UInt16) throws(ICEError) -> SocketAddress {
        // IPv6 literals may come bracketed or with a zone; NIO parses the plain form only.
        var host = Substring(text)
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        do {
            return try SocketAddress(ipAddress: String(host), port: Int(port))
        } catch {
            throw .unresolvableAddress(text)
        }
    }
}
