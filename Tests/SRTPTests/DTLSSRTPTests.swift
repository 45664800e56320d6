import DTLS
import NIOCore
import SRTP
import Testing

@Suite("DTLS-SRTP: a handshake, then SRTP with the exported keys (RFC 5764 §4.2)")
struct DTLSSRTPTests {
    /// Runs a loss-free handshake in virtual time and returns both endpoints.
    func handshake(clientProfiles: [DTLSSRTPProfile]) throws -> (client: DTLSEndpoint, server: DTLSEndpoint) {
        let clientCertificate = try DTLSCertificate.generate()
        let serverCertificate = try DTLSCertificate.generate()
        let client = try DTLSEndpoint(
            role: .client, certificate: clientCertificate, remoteFingerprints: [serverCertificate.fingerprint],
            srtpProfiles: clientProfiles)
        let server = try DTLSEndpoint(
            role: .server, certificate: serverCertificate, remoteFingerprints: [clientCertificate.fingerprint])
        let now = NIODeadline.uptimeNanoseconds(1_000_000)
        try client.start(now: now)
        for _ in 0..<20 {
            var moved = false
            while let datagram = client.pollTransmit() {
                moved = true
                try server.handleDatagram(datagram, now: now)
            }
            while let datagram = server.pollTransmit() {
                moved = true
                try client.handleDatagram(datagram, now: now)
            }
            if !moved { break }
        }
        #expect(client.state == .connected && server.state == .connected)
        return (client, server)
    }

    func sessions(for endpoint: DTLSEndpoint) throws -> (outbound: SRTPSession, inbound: SRTPSession) {
        let material = try #require(endpoint.keyingMaterial)
        let profile = try #require(SRTPProfile(dtlsProfileID: material.profile.rawValue))
        let local = material.localMasterKeyAndSalt(role: endpoint.role)
        let remote = material.remoteMasterKeyAndSalt(role: endpoint.role)
        return (
            try SRTPSession(profile: profile, masterKey: local.key, masterSalt: local.salt, direction: .outbound),
            try SRTPSession(profile: profile, masterKey: remote.key, masterSalt: remote.salt, direction: .inbound)
        )
    }

    @Test("media flows both ways with the exported keys",
          arguments: [[DTLSSRTPProfile.aeadAES128GCM, .aes128CMHMACSHA1_80], [.aes128CMHMACSHA1_80]])
    func bothDirections(clientProfiles: [DTLSSRTPProfile]) throws {
        let (client, server) = try handshake(clientProfiles: clientProfiles)
        #expect(client.keyingMaterial?.profile == clientProfiles.first)
        let clientSessions = try sessions(for: client)
        let serverSessions = try sessions(for: server)

        for sequence in UInt16(0)..<50 {
            let fromClient = makeRTPPacket(sequence: sequence, ssrc: 0x0C11_E47)
            var buffer = srtpBuffer(fromClient)
            try clientSessions.outbound.protectRTP(in: &buffer)
            try serverSessions.inbound.unprotectRTP(in: &buffer)
            #expect(Array(buffer.readableBytesView) == fromClient)

            let fromServer = makeRTPPacket(sequence: 65_530 &+ sequence, ssrc: 0x5E_4E4)  // wraps the ROC
            buffer = srtpBuffer(fromServer)
            try serverSessions.outbound.protectRTP(in: &buffer)
            try clientSessions.inbound.unprotectRTP(in: &buffer)
            #expect(Array(buffer.readableBytesView) == fromServer)
        }
        var report = srtpBuffer(makeRTCPPacket(ssrc: 0x5E_4E4))
        try serverSessions.outbound.protectRTCP(in: &report)
        try clientSessions.inbound.unprotectRTCP(in: &report)
        #expect(Array(report.readableBytesView) == makeRTCPPacket(ssrc: 0x5E_4E4))

        // A side cannot read its own outbound traffic with its inbound keys: the directions use different keys.
        var own = srtpBuffer(makeRTPPacket(sequence: 1, ssrc: 0x0C11_E47))
        try clientSessions.outbound.protectRTP(in: &own)
        #expect(throws: SRTPError.authenticationFailed) { try clientSessions.inbound.unprotectRTP(in: &own) }
    }
}
