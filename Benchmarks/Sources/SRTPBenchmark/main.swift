// SRTP microbenchmark: protect + unprotect of one 1200-byte RTP packet through our `SRTPSession` (in place on a
// ByteBuffer), for AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80, beside libsrtp2 called directly on a byte array
// with the same policy in the same run — the difference is the cost of our wrapper. Each iteration restores the
// plaintext (a 1200-byte copy, the same in both columns) and advances the sequence number, so the replay window
// accepts every packet. Best of 5 rounds; release build: `make bench`.
import CSRTP  // libsrtp2 through the SRTP product's own system-library module (CSRTPReference would own the same header twice)
import NIOCore
import SRTP

let packetLength = 1200
let iterations = 200_000

func plaintextPacket() -> [UInt8] {
    var bytes: [UInt8] = [0x80, 96, 0, 0, 0, 0, 0x10, 0x00, 0x12, 0x34, 0x56, 0x78]
    bytes += (0..<(packetLength - 12)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    return bytes
}

/// The best of five rounds, in nanoseconds per iteration.
func best(_ round: () -> Void) -> Double {
    let clock = ContinuousClock()
    var bestSeconds = Double.infinity
    for _ in 0..<5 {
        let elapsed = clock.measure(round)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bestSeconds = min(bestSeconds, seconds)
    }
    return bestSeconds * 1e9 / Double(iterations)
}

func ours(_ profile: SRTPProfile, key: [UInt8], salt: [UInt8]) throws -> Double {
    let outbound = try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound)
    let inbound = try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound)
    let plain = plaintextPacket()
    var buffer = ByteBufferAllocator().buffer(capacity: packetLength + SRTPSession.maximumTrailerLength)
    var sequence: UInt16 = 0
    var failures = 0
    let nanoseconds = best {
        for _ in 0..<iterations {
            buffer.clear()
            buffer.writeBytes(plain)
            sequence &+= 1
            buffer.setInteger(sequence, at: 2)
            do {
                try outbound.protectRTP(in: &buffer)
                try inbound.unprotectRTP(in: &buffer)
            } catch {
                failures += 1
            }
        }
    }
    if failures > 0 { print("ours \(profile): \(failures) failures") }
    return nanoseconds
}

func reference(_ profile: SRTPProfile, key: [UInt8], salt: [UInt8]) -> Double {
    func session(_ direction: srtp_ssrc_type_t) -> srtp_t? {
        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
        policy.ssrc.type = direction
        policy.window_size = 1024
        policy.allow_repeat_tx = direction == ssrc_any_outbound ? 1 : 0
        var material = key + salt
        var created: srtp_t?
        material.withUnsafeMutableBufferPointer { policy.key = $0.baseAddress; _ = srtp_create(&created, &policy) }
        return created
    }
    guard let outbound = session(ssrc_any_outbound), let inbound = session(ssrc_any_inbound) else {
        print("srtp_create failed")
        return .nan
    }
    defer {
        srtp_dealloc(outbound)
        srtp_dealloc(inbound)
    }
    let plain = plaintextPacket()
    var scratch = [UInt8](repeating: 0, count: packetLength + Int(SRTP_MAX_TRAILER_LEN))
    var sequence: UInt16 = 0
    var failures = 0
    let nanoseconds = best {
        scratch.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for _ in 0..<iterations {
                plain.withUnsafeBufferPointer { source in
                    guard let from = source.baseAddress else { return }
                    base.update(from: from, count: packetLength)
                }
                sequence &+= 1
                base[2] = UInt8(sequence >> 8)
                base[3] = UInt8(sequence & 0xFF)
                var length = Int32(packetLength)
                if srtp_protect(outbound, base, &length) != srtp_err_status_ok
                    || srtp_unprotect(inbound, base, &length) != srtp_err_status_ok
                {
                    failures += 1
                }
            }
        }
    }
    if failures > 0 { print("libsrtp \(profile): \(failures) failures") }
    return nanoseconds
}

guard srtp_init() == srtp_err_status_ok else { fatalError("srtp_init failed") }
print("SRTP protect + unprotect of one \(packetLength)-byte RTP packet, best of 5 × \(iterations), release build")
print("libsrtp: \(String(cString: srtp_get_version_string()))")
print(String(repeating: "-", count: 96))
for profile in SRTPProfile.allCases {
    let key = (0..<profile.masterKeyLength).map { UInt8($0) }
    let salt = (0..<profile.masterSaltLength).map { UInt8(0x40 + $0) }
    let wrapped = try ours(profile, key: key, salt: salt)
    let direct = reference(profile, key: key, salt: salt)
    let name = profile == .aeadAES128GCM ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80"
    func format(_ nanoseconds: Double) -> String {
        let text = String(Int(nanoseconds.rounded()))
        return String(repeating: " ", count: max(0, 7 - text.count)) + text + " ns"
    }
    print(
        name + String(repeating: " ", count: max(0, 24 - name.count))
            + "  SRTPSession \(format(wrapped))   libsrtp2 direct \(format(direct))   "
            + "(\(Int(1e9 / wrapped)) pairs/s on one core)"
    )
}
