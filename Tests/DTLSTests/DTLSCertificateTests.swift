import DTLS
import Foundation
import Testing
import TestSupport

@Suite("DTLS certificates and fingerprints (RFC 8122 §5)")
struct DTLSCertificateTests {
    @Test("a generated certificate has a SHA-256 fingerprint in SDP form, different every time")
    func generated() throws {
        let first = try DTLSCertificate.generate()
        let second = try DTLSCertificate.generate()
        #expect(first.fingerprint.hashFunction == .sha256)
        #expect(first.fingerprint.digest.count == 32)
        let value = first.fingerprint.sdpValue
        #expect(value.hasPrefix("sha-256 "))
        #expect(value.count == "sha-256 ".count + 32 * 3 - 1)
        #expect(value.dropFirst(8).allSatisfy { "0123456789ABCDEF:".contains($0) })
        #expect(first.fingerprint != second.fingerprint)
        #expect(DTLSFingerprint(sdpValue: value) == first.fingerprint)
        #expect(DTLSFingerprint(hashFunction: .sha256, certificateDER: first.certificateDER) == first.fingerprint)
    }

    @Test("loading a PEM certificate made by the openssl CLI gives the fingerprint openssl prints")
    func pemFixture() throws {
        let certificate = try DTLSCertificate(
            pemCertificate: try Fixtures.text("dtls/test-certificate.pem"),
            pemPrivateKey: try Fixtures.text("dtls/test-key.pem")
        )
        // `openssl x509 -noout -fingerprint -sha256` output: "sha256 Fingerprint=A6:59:…".
        let line = try Fixtures.text("dtls/test-certificate.sha256")
        let printed = try #require(line.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(certificate.fingerprint.hexPairs == printed)
        #expect(certificate.fingerprint.sdpValue == "sha-256 " + printed)
    }

    @Test("a key that does not belong to the certificate is refused")
    func mismatchedKey() throws {
        #expect {
            try DTLSCertificate(
                pemCertificate: try Fixtures.text("dtls/test-certificate.pem"),
                pemPrivateKey: try Fixtures.text("dtls/other-key.pem")
            )
        } throws: { error in
            guard case DTLSError.invalidCertificate(let reason) = error else { return false }
            return !reason.isEmpty
        }
    }

    @Test("text that is not PEM is refused with a typed error carrying OpenSSL's reason")
    func notPEM() {
        #expect(throws: DTLSError.self) {
            try DTLSCertificate(pemCertificate: "hello", pemPrivateKey: "world")
        }
    }

    @Test("fingerprint parsing: case-insensitive hash name and hex, exact digest length, nothing else")
    func fingerprintParsing() {
        let pairs = (0..<32).map { _ in "ab" }.joined(separator: ":")
        #expect(DTLSFingerprint(sdpValue: "SHA-256 " + pairs)?.hashFunction == .sha256)
        #expect(DTLSFingerprint(sdpValue: "sha-256 " + pairs.uppercased())?.digest == [UInt8](repeating: 0xAB, count: 32))
        #expect(DTLSFingerprint(sdpValue: "sha-1 " + (0..<20).map { _ in "01" }.joined(separator: ":")) != nil)
        #expect(DTLSFingerprint(sdpValue: "sha-256 " + pairs + ":00") == nil)
        #expect(DTLSFingerprint(sdpValue: "md5 " + pairs) == nil)
        #expect(DTLSFingerprint(sdpValue: "sha-256") == nil)
        #expect(DTLSFingerprint(sdpValue: "sha-256 " + pairs.replacingOccurrences(of: "ab", with: "zz")) == nil)
        #expect(DTLSFingerprint(sdpValue: "sha-256 " + pairs.replacingOccurrences(of: ":", with: "")) == nil)
    }

    @Test("an endpoint needs at least one fingerprint and one SRTP profile")
    func endpointPreconditions() throws {
        let certificate = try DTLSCertificate.generate()
        #expect(throws: DTLSError.noUsableFingerprint) {
            try DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprints: [])
        }
        #expect(throws: DTLSError.noSRTPProfilesOffered) {
            try DTLSEndpoint(
                role: .client, certificate: certificate, remoteFingerprints: [certificate.fingerprint], srtpProfiles: [])
        }
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprints: [certificate.fingerprint], mtu: 100)
        }
    }
}

@Suite("SDP setup to DTLS role (RFC 5763 §5, RFC 8842 §5)")
struct DTLSSetupTests {
    @Test("roles for every decisive pair")
    func roles() throws {
        #expect(try DTLSSetup.role(local: .active, remote: .passive) == .client)
        #expect(try DTLSSetup.role(local: .active, remote: .actpass) == .client)
        #expect(try DTLSSetup.role(local: .actpass, remote: .passive) == .client)
        #expect(try DTLSSetup.role(local: .passive, remote: .active) == .server)
        #expect(try DTLSSetup.role(local: .passive, remote: .actpass) == .server)
        #expect(try DTLSSetup.role(local: .actpass, remote: .active) == .server)
    }

    @Test("pairs that decide nothing are typed errors")
    func incompatible() {
        for (local, remote) in [(DTLSSetup.active, DTLSSetup.active), (.passive, .passive), (.actpass, .actpass),
            (.holdconn, .active)] {
            #expect(throws: DTLSError.incompatibleSetup(local: local, remote: remote)) {
                try DTLSSetup.role(local: local, remote: remote)
            }
        }
    }

    @Test("answers: actpass → active (RFC 8842 §5.3), active ↔ passive")
    func answers() throws {
        #expect(DTLSSetup.answer(toOffered: .actpass) == .active)
        #expect(DTLSSetup.answer(toOffered: .active) == .passive)
        #expect(DTLSSetup.answer(toOffered: .passive) == .active)
        #expect(DTLSSetup.answer(toOffered: .holdconn) == nil)
        // The offerer (actpass) and the answerer agree on opposite roles.
        let answer = try #require(DTLSSetup.answer(toOffered: .actpass))
        #expect(try DTLSSetup.role(local: .actpass, remote: answer) == .server)
        #expect(try DTLSSetup.role(local: answer, remote: .actpass) == .client)
    }

    @Test("RFC 5764 §4.2 keying material layout")
    func keyingMaterialLayout() throws {
        let exported = (0..<56).map { UInt8($0) }
        let material = try #require(SRTPKeyingMaterial(profile: .aeadAES128GCM, exported: exported))
        #expect(material.clientMasterKey == Array(0..<16))
        #expect(material.serverMasterKey == Array(16..<32))
        #expect(material.clientMasterSalt == Array(32..<44))
        #expect(material.serverMasterSalt == Array(44..<56))
        #expect(material.localMasterKeyAndSalt(role: .client).key == material.remoteMasterKeyAndSalt(role: .server).key)
        #expect(material.localMasterKeyAndSalt(role: .server).salt == Array(44..<56))
        #expect(SRTPKeyingMaterial(profile: .aes128CMHMACSHA1_80, exported: exported) == nil)
        let cm = try #require(SRTPKeyingMaterial(profile: .aes128CMHMACSHA1_80, exported: (0..<60).map { UInt8($0) }))
        #expect(cm.clientMasterSalt == Array(32..<46) && cm.serverMasterSalt == Array(46..<60))
        #expect(!"\(material)".contains("0, 1, 2"))
    }
}
