import NIOCore
import SRTP
import Testing
import TestSupport

/// Known answers. RFC 7714's §16/§17 vectors and RFC 3711's Appendix B.3 vectors start from session keys or test
/// the key derivation alone, and libsrtp exposes neither, so the chain is:
/// 1. the reference transforms in `ReferenceSRTPCrypto` reproduce the RFC vectors exactly;
/// 2. libsrtp's output for a master key equals the reference transform under the reference-derived session keys.
@Suite("SRTP known answers (RFC 7714 §16–17, RFC 3711 Appendix B.3)")
struct SRTPKnownAnswerTests {
    let sessionKey: [UInt8]
    let sessionSalt: [UInt8]
    let rtpPlaintext: [UInt8]
    let rtcpPlaintext: [UInt8]

    init() throws {
        sessionKey = try Fixtures.hexData("srtp/rfc7714-session-key.hex")
        sessionSalt = try Fixtures.hexData("srtp/rfc7714-session-salt.hex")
        rtpPlaintext = try Fixtures.hexData("srtp/rfc7714-rtp-plaintext.hex")
        rtcpPlaintext = try Fixtures.hexData("srtp/rfc7714-rtcp-plaintext.hex")
    }

    @Test("the reference AES-GCM transform reproduces RFC 7714's protected RTP and RTCP packets")
    func referenceMatchesRFC7714() throws {
        let expectedRTP = try Fixtures.hexData("srtp/rfc7714-rtp-aes128gcm-protected.hex")
        let rtp = ReferenceSRTPCrypto.gcmProtectRTP(
            key: sessionKey, salt: sessionSalt, packet: rtpPlaintext, headerLength: 12, roc: 0)
        #expect(rtp == expectedRTP)
        let expectedRTCP = try Fixtures.hexData("srtp/rfc7714-rtcp-aes128gcm-protected.hex")
        let rtcp = ReferenceSRTPCrypto.gcmProtectRTCP(
            key: sessionKey, salt: sessionSalt, packet: rtcpPlaintext, srtcpIndex: 0x5D4)
        #expect(rtcp == expectedRTCP)
    }

    @Test("the reference key derivation reproduces RFC 3711 Appendix B.3")
    func referenceMatchesRFC3711KeyDerivation() throws {
        let masterKey = try Fixtures.hexData("srtp/rfc3711-b3-master-key.hex")
        let masterSalt = try Fixtures.hexData("srtp/rfc3711-b3-master-salt.hex")
        let derive = { (label: UInt8, length: Int) in
            ReferenceSRTPCrypto.deriveSessionKey(masterKey: masterKey, masterSalt: masterSalt, label: label, length: length)
        }
        #expect(derive(0, 16) == (try Fixtures.hexData("srtp/rfc3711-b3-cipher-key.hex")))
        #expect(derive(1, 20) == (try Fixtures.hexData("srtp/rfc3711-b3-auth-key.hex")))
        #expect(derive(2, 14) == (try Fixtures.hexData("srtp/rfc3711-b3-cipher-salt.hex")))
    }

    @Test("libsrtp AEAD_AES_128_GCM RTP and RTCP equal the reference under derived session keys")
    func libsrtpGCM() throws {
        // RFC 7714's key and salt, used here as the master key and salt.
        let masterKey = sessionKey
        let masterSalt = sessionSalt
        let derive = { (label: UInt8, length: Int) in
            ReferenceSRTPCrypto.deriveSessionKey(masterKey: masterKey, masterSalt: masterSalt, label: label, length: length)
        }
        let outbound = try SRTPSession(
            profile: .aeadAES128GCM, masterKey: masterKey, masterSalt: masterSalt, direction: .outbound)
        let inbound = try SRTPSession(
            profile: .aeadAES128GCM, masterKey: masterKey, masterSalt: masterSalt, direction: .inbound)

        var rtp = ByteBuffer(bytes: rtpPlaintext)
        try outbound.protectRTP(in: &rtp)
        let expectedRTP = ReferenceSRTPCrypto.gcmProtectRTP(
            key: derive(0, 16), salt: derive(2, 12), packet: rtpPlaintext, headerLength: 12, roc: 0)
        #expect(Array(rtp.readableBytesView) == expectedRTP)
        try inbound.unprotectRTP(in: &rtp)
        #expect(Array(rtp.readableBytesView) == rtpPlaintext)

        var rtcp = ByteBuffer(bytes: rtcpPlaintext)
        try outbound.protectRTCP(in: &rtcp)
        let protected = Array(rtcp.readableBytesView)
        let trailer = protected.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(trailer & 0x8000_0000 != 0)  // E flag: encrypted
        let expectedRTCP = ReferenceSRTPCrypto.gcmProtectRTCP(
            key: derive(3, 16), salt: derive(5, 12), packet: rtcpPlaintext, srtcpIndex: trailer & 0x7FFF_FFFF)
        #expect(protected == expectedRTCP)
        try inbound.unprotectRTCP(in: &rtcp)
        #expect(Array(rtcp.readableBytesView) == rtcpPlaintext)
    }

    @Test("libsrtp AES_CM_128_HMAC_SHA1_80 RTP equals the reference under RFC 3711 B.3's master key")
    func libsrtpCM() throws {
        let masterKey = try Fixtures.hexData("srtp/rfc3711-b3-master-key.hex")
        let masterSalt = try Fixtures.hexData("srtp/rfc3711-b3-master-salt.hex")
        let outbound = try SRTPSession(
            profile: .aes128CMHMACSHA1_80, masterKey: masterKey, masterSalt: masterSalt, direction: .outbound)
        var rtp = ByteBuffer(bytes: rtpPlaintext)
        try outbound.protectRTP(in: &rtp)
        let expected = ReferenceSRTPCrypto.cmProtectRTP(
            key: try Fixtures.hexData("srtp/rfc3711-b3-cipher-key.hex"),
            salt: try Fixtures.hexData("srtp/rfc3711-b3-cipher-salt.hex"),
            authKey: try Fixtures.hexData("srtp/rfc3711-b3-auth-key.hex"),
            packet: rtpPlaintext,
            headerLength: 12,
            roc: 0
        )
        #expect(Array(rtp.readableBytesView) == expected)
        #expect(rtp.readableBytes == rtpPlaintext.count + 10)
    }
}
