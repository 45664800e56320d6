// libFuzzer target for DTLS: arbitrary datagrams into a server-side DTLSEndpoint must never crash. The input is
// split into datagrams by a 2-byte big-endian length prefix (the rest of the input if the prefix overruns), each
// is handed to `handleDatagram`, and after each the endpoint's outputs are drained and its timer is poked. A
// thrown DTLSError is an acceptable outcome; a trap, leak or sanitizer report is not.
import DTLS
import NIOCore

/// One certificate for the whole run: generating a P-256 key per input would dominate the fuzzing time.
private let certificate: DTLSCertificate? = try? DTLSCertificate.generate()
/// A fingerprint no fuzzed certificate will have: the handshake can at most reach certificate verification.
private let expectedFingerprint = DTLSFingerprint(hashFunction: .sha256, digest: [UInt8](repeating: 0xAB, count: 32))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDTLS(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let certificate,
        let endpoint = try? DTLSEndpoint(
            role: .server,
            certificate: certificate,
            remoteFingerprints: [expectedFingerprint]
        )
    else { fatalError("cannot create the DTLS endpoint under test") }

    let input = UnsafeRawBufferPointer(start: start, count: count)
    var offset = 0
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    while offset < input.count {
        var length = input.count - offset
        if length >= 2 {
            let declared = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            length = min(declared, input.count - offset)
        }
        let datagram = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[offset..<offset + length]))
        offset += length
        _ = try? endpoint.handleDatagram(datagram, now: now)
        while let reply = endpoint.pollTransmit() {
            guard reply.readableBytes <= endpoint.mtu else { fatalError("datagram over the MTU: \(reply.readableBytes)") }
        }
        while endpoint.pollEvent() != nil {}
        now = now + .milliseconds(10)
        _ = try? endpoint.handleTimeout(now: now)
        _ = endpoint.nextDeadline()
    }
    endpoint.close(now: now)
    while endpoint.pollTransmit() != nil {}
    return 0
}
