import NIOCore
import STUN
import Testing
import TURN

@Suite("TURN core: authentication, peer policy, quotas, amplification")
struct TURNSecurityTests {
    @Test("Expired REST username is 401; wrong password is 401", arguments: [false, true])
    func badCredentials(expired: Bool) throws {
        var harness = TURNCoreHarness()
        let challenge = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .software(String(repeating: "x", count: 64))])
        let nonce = try required(TURNCoreHarness.responses(harness.send(try challenge.serialized())).first?.nonce)
        let response: STUNMessage?
        if expired {
            response = harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: nonce,
                expiry: harness.now.unixSeconds - 1)
        } else {
            let wrong = STUNIntegrityKey.longTerm(username: harness.credentials().username,
                realm: TURNCoreHarness.realm, password: "wrong")
            response = harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: nonce,
                key: wrong)
        }
        #expect(response?.errorCode?.code == 401)
        #expect(response?.nonce != nil)
        #expect(harness.core.allocationCount == 0)
        #expect(harness.core.metrics.authenticationFailures == 1)
    }

    @Test("Stale nonce is 438 with a new nonce, and the client recovers with it")
    func staleNonce() throws {
        var harness = TURNCoreHarness()
        let challenge = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .software(String(repeating: "x", count: 64))])
        let nonce = try required(TURNCoreHarness.responses(harness.send(try challenge.serialized())).first?.nonce)
        _ = harness.advance(seconds: 601)
        let stale = try required(harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: nonce))
        #expect(stale.errorCode?.code == 438)
        let fresh = try #require(stale.nonce)
        #expect(fresh != nonce)
        let recovered = try required(harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: fresh))
        #expect(recovered.isSuccess)
        // A nonce issued to another IP is not accepted either.
        var elsewhere = harness.client
        elsewhere.client.address = STUNIPAddress("198.51.100.99")!
        let foreign = harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: fresh,
            from: elsewhere)
        #expect(foreign?.errorCode?.code == 438)
    }

    @Test("The key derived from --secret (HKDF-SHA256, info turn) authenticates REST usernames")
    func derivedKey() throws {
        let rest = TURNRESTCredentials.derived(fromDeploymentSecret: "0123456789abcdef0123")
        #expect(rest.key.count == 32)
        #expect(rest.key != Array("0123456789abcdef0123".utf8))
        #expect(TURNRESTCredentials.derived(fromDeploymentSecret: "0123456789abcdef0123") == rest)
        // RFC 5869 test case 3 (empty salt and info) pins the HKDF construction.
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let okm = TURNKeyDerivation.hkdfSHA256(inputKey: ikm, info: [], length: 42)
        #expect(okm.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("coturn's REST password: base64(HMAC-SHA1(secret, username))")
    func restPassword() {
        let rest = TURNRESTCredentials.coturnStaticSecret("secret")
        // Computed independently: printf '%s' '1700000000:user' | openssl dgst -sha1 -hmac secret -binary | base64
        #expect(rest.password(for: "1700000000:user") == TURNSecurityTests.opensslREST)
        #expect(rest.expiry(of: "1700000000:user") == 1_700_000_000)
        #expect(rest.expiry(of: "1700000000") == 1_700_000_000)
        #expect(rest.expiry(of: "user") == nil)
    }

    static let opensslREST = "I/MZeIG6MwzOV8Uubr9liB2556o="

    @Test("CreatePermission to loopback, mapped, private and metadata addresses is 403",
        arguments: ["127.0.0.1", "::ffff:127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
            "172.16.5.4", "100.64.0.1", "224.0.0.1"])
    func deniedPeers(address: String) throws {
        var harness = TURNCoreHarness()
        let ip = try #require(STUNIPAddress(address))
        let family: STUNAddressFamily = ip.family
        _ = try required(harness.allocate(family == .ipv6 ? [.requestedAddressFamily(.ipv6)] : []))
        let peer = STUNTransportAddress(address: ip, port: 3480)
        #expect(harness.request(.createPermission, [.xorPeerAddress(peer)])?.errorCode?.code == 403)
        #expect(harness.request(.channelBind, [.channelNumber(0x4000), .xorPeerAddress(peer)])?.errorCode?.code == 403)
        #expect(harness.core.metrics.deniedPeers == 2)
    }

    @Test("Policy: defaults, mapped and NAT64 forms, --allow-peer, --deny-peer, loopback switch")
    func policy() throws {
        func ip(_ text: String) -> STUNIPAddress { STUNIPAddress(text)! }
        let defaults = PeerAddressPolicy()
        for denied in ["127.0.0.1", "::1", "::", "::ffff:10.1.2.3", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
            "fe80::1", "fc00::1", "fd12::1", "ff02::1", "2002::1", "2001::1", "240.0.0.1"]
        {
            #expect(!defaults.allows(ip(denied)), "\(denied)")
        }
        for allowed in ["198.51.100.1", "8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            #expect(defaults.allows(ip(allowed)), "\(allowed)")
        }
        let open = PeerAddressPolicy(allowed: [try IPAddressRange(parsing: "10.0.0.0/8")],
            denied: [try IPAddressRange(parsing: "10.9.0.0/16"), try IPAddressRange(parsing: "8.8.8.8")])
        #expect(open.allows(ip("10.1.2.3")))
        #expect(open.allows(ip("::ffff:10.1.2.3")))
        #expect(!open.allows(ip("10.9.1.1")))
        #expect(!open.allows(ip("8.8.8.8")))
        let loopback = PeerAddressPolicy(allowLoopback: true)
        #expect(loopback.allows(ip("127.0.0.1")))
        #expect(loopback.allows(ip("::1")))
        #expect(loopback.allows(ip("::ffff:127.0.0.1")))
        #expect(!loopback.allows(ip("0.0.0.0")))
        #expect(!loopback.allows(ip("10.0.0.1")))
        #expect(throws: IPAddressRangeError.self) { try IPAddressRange(parsing: "10.0.0.0/33") }
        #expect(throws: IPAddressRangeError.self) { try IPAddressRange(parsing: "nonsense") }
    }

    @Test("Per-user allocation quota is 486")
    func userQuota() throws {
        var harness = TURNCoreHarness { $0.userQuota = 2 }
        for index in 0..<3 {
            var tuple = harness.client
            tuple.client.port = UInt16(41000 + index)
            let response = try required(harness.allocate([], from: tuple))
            #expect(response.isSuccess == (index < 2))
            if index == 2 { #expect(response.errorCode?.code == 486) }
        }
    }

    @Test("Permission and channel caps per allocation are 508")
    func caps() throws {
        var harness = TURNCoreHarness {
            $0.maximumPermissionsPerAllocation = 2
            $0.maximumChannelsPerAllocation = 1
        }
        _ = try required(harness.allocate())
        func peer(_ last: UInt32) -> STUNTransportAddress {
            STUNTransportAddress(address: .v4(0xC633_6400 | last), port: 5000)
        }
        #expect(harness.request(.createPermission, [.xorPeerAddress(peer(1)), .xorPeerAddress(peer(2))])?.isSuccess == true)
        #expect(harness.request(.createPermission, [.xorPeerAddress(peer(3))])?.errorCode?.code == 508)
        #expect(harness.request(.channelBind, [.channelNumber(0x4000), .xorPeerAddress(peer(1))])?.isSuccess == true)
        #expect(harness.request(.channelBind, [.channelNumber(0x4001), .xorPeerAddress(peer(2))])?.errorCode?.code == 508)
    }

    @Test("After too many failed authentications a source is ignored until the window passes")
    func rateLimit() throws {
        var harness = TURNCoreHarness {
            $0.failedAuthenticationLimit = 3
            $0.failedAuthenticationWindow = 60
        }
        let challenge = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .software(String(repeating: "x", count: 64))])
        let nonce = try required(TURNCoreHarness.responses(harness.send(try challenge.serialized())).first?.nonce)
        let wrong = STUNIntegrityKey.longTerm(username: harness.credentials().username, realm: TURNCoreHarness.realm,
            password: "wrong")
        for _ in 0..<3 {
            #expect(harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: nonce,
                key: wrong)?.errorCode?.code == 401)
        }
        #expect(harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17)], nonce: nonce) == nil)
        #expect(harness.core.metrics.droppedRateLimited == 1)
        _ = harness.advance(seconds: 61)
        #expect(harness.allocate()?.isSuccess == true)
    }

    @Test("No unauthenticated UDP error answer is larger than its request; the challenge is small")
    func amplification() throws {
        var harness = TURNCoreHarness()
        // A 20-byte request of an unknown method would get a 28-byte 400: no answer at all.
        let small = STUNMessage(type: STUNMessageType(method: STUNMethod(rawValue: 0x0FE)!, messageClass: .request))
        #expect(harness.send(try small.serialized()).isEmpty)
        #expect(harness.core.metrics.droppedUnauthenticatedResponses == 1)
        // Over TCP the source is verified by the handshake: the 400 is sent.
        var tcp = harness.client
        tcp.transport = .tcp
        #expect(TURNCoreHarness.responses(harness.send(try small.serialized(), from: tcp)).first?.errorCode?.code == 400)
        // Unknown methods are 400 without a reason phrase, and never larger than the request.
        let unknown = STUNMessage(type: STUNMessageType(method: STUNMethod(rawValue: 0x0FF)!, messageClass: .request),
            attributes: [.software(String(repeating: "z", count: 40))])
        let request = try unknown.serialized()
        for case .sendToClient(let bytes, _) in harness.send(request) {
            #expect(bytes.readableBytes <= request.readableBytes)
        }
        // The challenge to a 28-byte Allocate: REALM and NONCE only, no reason phrase, 20 + 8 + 16 + 28 bytes.
        let bare = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17)])
        let challenge = try #require(TURNCoreHarness.responses(harness.send(try bare.serialized())).first)
        #expect(challenge.errorCode == STUNErrorCode(code: 401, reason: ""))
        #expect(try challenge.serialized().readableBytes == 72)
    }

    @Test("Malformed datagrams never crash the core and are counted")
    func malformedInputs() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate())
        var generator = SplitMix64(seed: 42)
        let valid = try STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .lifetime(600), .xorPeerAddress(Self.peer)])
            .bytes(fingerprint: true)
        for round in 0..<5000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int(generator.next() % 80)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            case 1:
                bytes = valid
                for _ in 0..<3 {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                }
            default:
                bytes = [0x40 | UInt8(generator.next() % 64), UInt8(truncatingIfNeeded: generator.next()),
                    0, UInt8(generator.next() % 8)] + (0..<Int(generator.next() % 8)).map { _ in 0 }
            }
            _ = harness.send(ByteBuffer(bytes: bytes))
            _ = harness.core.handlePeerData(ByteBuffer(bytes: bytes), relay: TURNRelayID(slot: Int32(round % 4) - 1,
                generation: 0), from: Self.peer, now: harness.now)
        }
        #expect(harness.core.metrics.malformed > 0)
        #expect(harness.core.allocationCount == 1)
    }

    static let peer = STUNTransportAddress(address: STUNIPAddress("198.51.100.20")!, port: 5000)
}

/// A small deterministic generator for reproducible mutations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
