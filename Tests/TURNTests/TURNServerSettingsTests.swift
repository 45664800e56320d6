import STUN
import Testing
import TURN

@Suite("turnserver flags become settings, with clear errors")
struct TURNServerSettingsTests {
    func settings(
        ip: String = "203.0.113.7", listen: [String] = [], tlsPort: UInt16? = nil, relayPorts: String = "49152-65535",
        allow: [String] = [], deny: [String] = [], staticSecret: String? = nil, metrics: String? = nil
    ) throws(TURNServerError) -> TURNServerSettings {
        try TURNServerSettings.fromFlags(
            deploymentSecret: "0123456789abcdef0123", publicIP: ip, port: 3478, listen: listen, tlsPort: tlsPort,
            certificatePath: nil, privateKeyPath: nil, relayPorts: relayPorts, realm: "meeting",
            staticAuthSecret: staticSecret, allowPeers: allow, denyPeers: deny, allowLoopbackPeers: false,
            userQuota: 5, maxBitsPerSecond: 0, metrics: metrics)
    }

    @Test("--ip is the relay address of its family; a specific --listen address gives the other family")
    func relayAddresses() throws {
        let v4 = try settings(listen: ["0.0.0.0", "2001:db8::5"])
        #expect(v4.core.relayAddressIPv4 == STUNIPAddress("203.0.113.7"))
        #expect(v4.core.relayAddressIPv6 == STUNIPAddress("2001:db8::5"))
        let v6 = try settings(ip: "2001:db8::7", listen: ["192.0.2.9"])
        #expect(v6.core.relayAddressIPv6 == STUNIPAddress("2001:db8::7"))
        #expect(v6.core.relayAddressIPv4 == STUNIPAddress("192.0.2.9"))
        let only = try settings()
        #expect(only.core.relayAddressIPv6 == nil)
        #expect(only.core.relayPorts == 49152...65535)
        #expect(only.core.userQuota == 5)
    }

    @Test("--secret's derived key is always accepted; --static-auth-secret adds coturn's raw key")
    func restKeys() throws {
        #expect(try settings().core.restCredentials.count == 1)
        let both = try settings(staticSecret: "secret")
        #expect(both.core.restCredentials.map(\.key).last == Array("secret".utf8))
    }

    @Test("Bad values are refused with the flag named",
        arguments: [("ip", "--ip"), ("listen", "--listen"), ("relay", "--relay-ports"), ("allow", "--allow-peer"),
            ("deny", "--deny-peer"), ("metrics", "--metrics"), ("tls", "--tls-port")])
    func badValues(which: String, flag: String) {
        do {
            switch which {
            case "ip": _ = try settings(ip: "example.com")
            case "listen": _ = try settings(listen: ["eth0"])
            case "relay": _ = try settings(relayPorts: "70000-80000")
            case "allow": _ = try settings(allow: ["10.0.0.0/99"])
            case "deny": _ = try settings(deny: ["nope"])
            case "metrics": _ = try settings(metrics: "localhost")
            default: _ = try settings(tlsPort: 443)
            }
            Issue.record("\(flag) accepted a bad value")
        } catch {
            #expect(error.code == .badFlag)
            #expect(error.message.contains(flag), "\(error.message)")
        }
    }
}
