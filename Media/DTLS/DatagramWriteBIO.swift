import COpenSSL
import NIOCore

/// The per-connection state OpenSSL's C callbacks reach through `BIO_get_data` / `SSL_get_ex_data`: the queue of
/// datagrams OpenSSL wrote, the MTU to report, the fingerprints to accept and the retransmission timer's start.
///
/// Owned by one ``DTLSEndpoint`` and used only while that endpoint calls into OpenSSL, so on the endpoint's thread;
/// the C side holds it unretained (the endpoint frees the `SSL`, and with it the BIO, before this object goes).
final class DTLSConnectionContext {
    /// Datagrams written by OpenSSL and not yet taken by `pollTransmit()`, oldest first.
    var outbound = CircularBuffer<ByteBuffer>(initialCapacity: 8)
    let allocator = ByteBufferAllocator()
    /// The largest datagram OpenSSL may write (the DTLS record layer's MTU).
    let mtu: Int
    /// The `a=fingerprint` values of the remote description; the peer's certificate must match one.
    let expectedFingerprints: [DTLSFingerprint]
    /// Set by the verify callback when the peer's certificate matched none of ``expectedFingerprints``.
    var verificationFailure: DTLSError?
    /// The fingerprint of the certificate the peer presented, once seen.
    var peerFingerprint: DTLSFingerprint?
    /// The first retransmission timeout, in microseconds; it doubles per retransmission up to 60 s
    /// (RFC 6347 §4.2.4.1).
    let initialRetransmitMicroseconds: UInt32

    init(mtu: Int, expectedFingerprints: [DTLSFingerprint], initialRetransmitMicroseconds: UInt32) {
        self.mtu = mtu
        self.expectedFingerprints = expectedFingerprints
        self.initialRetransmitMicroseconds = initialRetransmitMicroseconds
    }

    /// Whether `certificate` (an OpenSSL `X509`) hashes to one of the expected fingerprints (RFC 8122 §5).
    /// Records the mismatch otherwise.
    func acceptsPeerCertificate(_ certificate: OpaquePointer) -> Bool {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else {
            verificationFailure = .noPeerCertificate
            return false
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(certificate, &cursor)
        }
        guard written == length else {
            verificationFailure = .noPeerCertificate
            return false
        }
        var firstComputed: DTLSFingerprint?
        for expected in expectedFingerprints {
            guard let actual = DTLSFingerprint(hashFunction: expected.hashFunction, certificateDER: der) else {
                continue
            }
            if firstComputed == nil { firstComputed = actual }
            if actual == expected {
                peerFingerprint = actual
                verificationFailure = nil
                return true
            }
        }
        let received =
            firstComputed ?? DTLSFingerprint(hashFunction: .sha256, certificateDER: der)
            ?? DTLSFingerprint(hashFunction: .sha256, digest: [])
        peerFingerprint = received
        verificationFailure = .fingerprintMismatch(expected: expectedFingerprints, received: received)
        return false
    }
}

/// The write side of a DTLS connection: a custom OpenSSL BIO that turns every `BIO_write` into one datagram.
///
/// OpenSSL's DTLS writes each datagram (one or more records, at most the MTU) with exactly one `BIO_write`, so
/// keeping the call boundaries keeps the datagram boundaries (RFC 6347 §4.1.1: records must not span datagrams).
/// A memory BIO would concatenate a flight, and OpenSSL 3.0 has no datagram memory BIO yet. The control callback
/// answers `BIO_CTRL_DGRAM_QUERY_MTU` with our MTU (else OpenSSL falls back to 256-byte datagrams) and
/// `BIO_CTRL_FLUSH` with success.
enum DatagramWriteBIO {
    /// The BIO method table, made once per process (Swift initialises globals exactly once, thread-safely).
    /// Never mutated after creation; OpenSSL only reads it.
    nonisolated(unsafe) static let method: OpaquePointer? = makeMethod()

    /// A new BIO of this kind that appends to `context.outbound`. The BIO holds `context` unretained.
    static func make(context: DTLSConnectionContext) -> OpaquePointer? {
        guard let method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(context).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func makeMethod() -> OpaquePointer? {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "meeting-dtls-datagram-write")
        else { return nil }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let bio, let data, length > 0, let contextPointer = BIO_get_data(bio) else { return 0 }
            let context = Unmanaged<DTLSConnectionContext>.fromOpaque(contextPointer).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(length))
            context.outbound.append(context.allocator.buffer(bytes: bytes))
            return length
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_DGRAM_QUERY_MTU, BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
                guard let bio, let contextPointer = BIO_get_data(bio) else { return 0 }
                return Unmanaged<DTLSConnectionContext>.fromOpaque(contextPointer).takeUnretainedValue().mtu
            case BIO_CTRL_WPENDING, BIO_CTRL_PENDING:
                return 0
            default:
                return 0
            }
        }
        _ = BIO_meth_set_create(method) { bio in
            guard let bio else { return 0 }
            BIO_set_data(bio, nil)
            return 1
        }
        _ = BIO_meth_set_destroy(method) { bio in
            guard let bio else { return 0 }
            BIO_set_data(bio, nil)
            BIO_set_init(bio, 0)
            return 1
        }
        return method
    }
}
