import CSRTP
import NIOCore
@testable import SRTP
import Testing

/// An RTP packet: V=2, PT 96, the given sequence number, timestamp and SSRC, then `payloadLength` bytes.
func makeRTPPacket(sequence: UInt16, ssrc: UInt32 = 0x1234_5678, payloadLength: Int = 160) -> [UInt8] {
    var bytes: [UInt8] = [0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x03, 0xE8]
    bytes += [UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
    bytes += (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    return bytes
}

/// An RTCP receiver report with one report block (32 bytes).
func makeRTCPPacket(ssrc: UInt32 = 0x1234_5678) -> [UInt8] {
    var bytes: [UInt8] = [0x81, 201, 0, 7]
    bytes += [UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
    bytes += (0..<24).map { UInt8($0) }
    return bytes
}

/// A buffer holding `bytes` with room for the SRTP trailer, as a sender should allocate it.
func srtpBuffer(_ bytes: [UInt8]) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: bytes.count + SRTPSession.maximumTrailerLength)
    buffer.writeBytes(bytes)
    return buffer
}

func makeSessions(_ profile: SRTPProfile) throws -> (outbound: SRTPSession, inbound: SRTPSession) {
    let key = (0..<profile.masterKeyLength).map { UInt8($0 &* 3) }
    let salt = (0..<profile.masterSaltLength).map { UInt8(0xA0 &+ $0) }
    return (
        try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound),
        try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound)
    )
}

@Suite("SRTP sessions through libsrtp2 (RFC 3711, RFC 7714)")
struct SRTPSessionTests {
    @Test("RTP round trip in place, both profiles, with the profile's overhead", arguments: SRTPProfile.allCases)
    func rtpRoundTrip(profile: SRTPProfile) throws {
        let (outbound, inbound) = try makeSessions(profile)
        for sequence in UInt16(1000)..<1100 {
            let plain = makeRTPPacket(sequence: sequence, payloadLength: Int(sequence % 50) * 20)
            var buffer = srtpBuffer(plain)
            let storage = buffer.withVeryUnsafeBytes { $0.baseAddress }
            try outbound.protectRTP(in: &buffer)
            #expect(buffer.readableBytes == plain.count + profile.rtpOverhead)
            #expect(Array(buffer.readableBytesView.prefix(12)) == Array(plain.prefix(12)))  // header stays clear
            if plain.count > 12 {
                #expect(Array(buffer.readableBytesView.dropFirst(12).prefix(plain.count - 12)) != Array(plain.dropFirst(12)))
            }
            try inbound.unprotectRTP(in: &buffer)
            #expect(Array(buffer.readableBytesView) == plain)
            // In place: the same storage, no reallocation.
            #expect(buffer.withVeryUnsafeBytes { $0.baseAddress } == storage)
        }
    }

    @Test("RTCP round trip in place, both profiles", arguments: SRTPProfile.allCases)
    func rtcpRoundTrip(profile: SRTPProfile) throws {
        let (outbound, inbound) = try makeSessions(profile)
        for _ in 0..<20 {
            let plain = makeRTCPPacket()
            var buffer = srtpBuffer(plain)
            try outbound.protectRTCP(in: &buffer)
            #expect(buffer.readableBytes == plain.count + profile.rtcpOverhead)
            try inbound.unprotectRTCP(in: &buffer)
            #expect(Array(buffer.readableBytesView) == plain)
        }
    }

    @Test("a packet not at the buffer's start and a buffer without spare room both work")
    func offsetsAndGrowth() throws {
        let (outbound, inbound) = try makeSessions(.aeadAES128GCM)
        let plain = makeRTPPacket(sequence: 7)
        var buffer = ByteBuffer(bytes: [9, 9, 9] + plain)
        buffer.moveReaderIndex(forwardBy: 3)
        try outbound.protectRTP(in: &buffer)  // grows the buffer: no spare capacity was reserved
        #expect(buffer.readerIndex == 3)
        try inbound.unprotectRTP(in: &buffer)
        #expect(Array(buffer.readableBytesView) == plain)
    }

    @Test("a replayed packet is refused as a replay; one behind the 1024-packet window as too old",
          arguments: SRTPProfile.allCases)
    func replay(profile: SRTPProfile) throws {
        let (outbound, inbound) = try makeSessions(profile)
        var first = srtpBuffer(makeRTPPacket(sequence: 1))
        try outbound.protectRTP(in: &first)
        var copy = first
        try inbound.unprotectRTP(in: &first)
        #expect(throws: SRTPError.replayed) { try inbound.unprotectRTP(in: &copy) }

        // Move the window 2000 packets ahead; sequence 5, never seen, is now behind it.
        var old = srtpBuffer(makeRTPPacket(sequence: 5))
        try outbound.protectRTP(in: &old)
        var ahead = srtpBuffer(makeRTPPacket(sequence: 2001))
        try outbound.protectRTP(in: &ahead)
        try inbound.unprotectRTP(in: &ahead)
        #expect(throws: SRTPError.replayTooOld) { try inbound.unprotectRTP(in: &old) }

        // SRTCP replay.
        var rtcp = srtpBuffer(makeRTCPPacket())
        try outbound.protectRTCP(in: &rtcp)
        var rtcpCopy = rtcp
        try inbound.unprotectRTCP(in: &rtcp)
        #expect(throws: SRTPError.replayed) { try inbound.unprotectRTCP(in: &rtcpCopy) }
    }

    @Test("a tampered tag, payload or header fails authentication", arguments: SRTPProfile.allCases)
    func tampering(profile: SRTPProfile) throws {
        let (outbound, inbound) = try makeSessions(profile)
        for (sequence, position) in [(UInt16(10), -1), (11, 20), (12, 1)] {
            var buffer = srtpBuffer(makeRTPPacket(sequence: sequence))
            try outbound.protectRTP(in: &buffer)
            let index = buffer.readerIndex + (position < 0 ? buffer.readableBytes + position : position)
            let byte = try #require(buffer.getInteger(at: index, as: UInt8.self))
            buffer.setInteger(byte ^ 0x01, at: index)
            #expect(throws: SRTPError.authenticationFailed) { try inbound.unprotectRTP(in: &buffer) }
        }
        var rtcp = srtpBuffer(makeRTCPPacket())
        try outbound.protectRTCP(in: &rtcp)
        let last = rtcp.writerIndex - 5  // inside the tag, before the E flag and index
        rtcp.setInteger((rtcp.getInteger(at: last, as: UInt8.self) ?? 0) ^ 0x80, at: last)
        #expect(throws: SRTPError.authenticationFailed) { try inbound.unprotectRTCP(in: &rtcp) }
    }

    @Test("wrong keys fail authentication; a retransmission with the same sequence number can be protected again")
    func wrongKeyAndRepeatTransmit() throws {
        let (outbound, _) = try makeSessions(.aeadAES128GCM)
        let stranger = try SRTPSession(
            profile: .aeadAES128GCM, masterKey: [UInt8](repeating: 1, count: 16),
            masterSalt: [UInt8](repeating: 2, count: 12), direction: .inbound)
        let plain = makeRTPPacket(sequence: 99)
        var buffer = srtpBuffer(plain)
        try outbound.protectRTP(in: &buffer)
        #expect(throws: SRTPError.authenticationFailed) { try stranger.unprotectRTP(in: &buffer) }
        var again = srtpBuffer(plain)
        try outbound.protectRTP(in: &again)  // allow_repeat_tx: answering a NACK without RTX
    }

    @Test("bad keys and packets too short are typed errors, not traps")
    func invalidInput() throws {
        #expect(throws: SRTPError.invalidKeyLength(expectedKey: 16, expectedSalt: 12, gotKey: 16, gotSalt: 14)) {
            try SRTPSession(profile: .aeadAES128GCM, masterKey: [UInt8](repeating: 0, count: 16),
                            masterSalt: [UInt8](repeating: 0, count: 14), direction: .outbound)
        }
        let (outbound, inbound) = try makeSessions(.aes128CMHMACSHA1_80)
        var short = srtpBuffer([0x80, 96, 0, 1])
        #expect(throws: SRTPError.invalidPacketLength(4)) { try outbound.protectRTP(in: &short) }
        #expect(throws: SRTPError.invalidPacketLength(4)) { try inbound.unprotectRTP(in: &short) }
        var shortRTCP = srtpBuffer([0x81, 201, 0])
        #expect(throws: SRTPError.invalidPacketLength(3)) { try inbound.unprotectRTCP(in: &shortRTCP) }
        // A bare header with no tag: too short to authenticate.
        var headerOnly = srtpBuffer(makeRTPPacket(sequence: 1, payloadLength: 0))
        #expect(throws: SRTPError.self) { try inbound.unprotectRTP(in: &headerOnly) }
        // Random garbage of every small length never traps.
        var random = SystemRandomNumberGenerator()
        for length in 0..<200 {
            var garbage = srtpBuffer((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            _ = try? inbound.unprotectRTP(in: &garbage)
            var garbageRTCP = srtpBuffer((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            _ = try? inbound.unprotectRTCP(in: &garbageRTCP)
        }
    }

    @Test("DTLS-SRTP profile identifiers (RFC 5764 §4.1.2, RFC 7714 §14.2)")
    func profileIdentifiers() {
        #expect(SRTPProfile(dtlsProfileID: 0x0007) == .aeadAES128GCM)
        #expect(SRTPProfile(dtlsProfileID: 0x0001) == .aes128CMHMACSHA1_80)
        #expect(SRTPProfile(dtlsProfileID: 0x0002) == nil)
    }
}

@Suite("libsrtp initialisation")
struct SRTPLibraryInitializationTests {
    @Test("another srtp_init in the process after ours does not stop sessions from working")
    func foreignInit() throws {
        // Ours first: a raw first-time srtp_init racing the module's once-initialisation from a parallel test is a
        // data race inside libsrtp, which no product code does.
        try SRTPLibrary.ensureInitialized()
        _ = srtp_init()  // libsrtp answers a repeated init with bad_param; sessions must still work
        let (outbound, inbound) = try makeSessions(.aeadAES128GCM)
        var buffer = srtpBuffer(makeRTPPacket(sequence: 3))
        try outbound.protectRTP(in: &buffer)
        try inbound.unprotectRTP(in: &buffer)
        #expect(Array(buffer.readableBytesView) == makeRTPPacket(sequence: 3))
    }
}
