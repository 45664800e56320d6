// libFuzzer target for ICE: arbitrary datagrams into a lite agent (a server answering checks) and into a full
// agent in the middle of its connectivity checks must never trap, and the agents must keep draining and keep a
// sane timer. The input is split into datagrams by a 2-byte big-endian length prefix (the rest of the input if the
// prefix overruns). The first byte of each datagram steers the harness, so the fuzzer also reaches the code behind
// MESSAGE-INTEGRITY (it cannot compute HMACs itself):
//   bit 0  re-sign: parse the rest as STUN and rewrite MESSAGE-INTEGRITY/FINGERPRINT with the receiver's key
//   bit 1  for a response: take the transaction ID of the full agent's latest outstanding request
//   bit 2  send from the second peer address (a peer-reflexive source)
//   bit 3  deliver to the full agent instead of the lite one
//   bits 4-7  advance the clock by that many × 100 ms afterwards, and run due timers
import ICE
import NIOCore
import STUN

private let liteCredentials = try? ICECredentials(usernameFragment: "fuzz", password: "fuzzfuzzfuzzfuzzfuzzfu")
private let peerCredentials = try? ICECredentials(usernameFragment: "peer", password: "peerpeerpeerpeerpeerpe")
private let liteAddress = try? SocketAddress(ipAddress: "198.51.100.1", port: 3478)
private let fullAddress = try? SocketAddress(ipAddress: "192.0.2.1", port: 4000)
private let peerAddresses = [
    try? SocketAddress(ipAddress: "203.0.113.9", port: 5000), try? SocketAddress(ipAddress: "203.0.113.10", port: 6000),
]

/// A deterministic generator: the same input must replay the same run.
private struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drains an agent (bounded), remembering the transaction IDs of the requests it sent.
private func drain(_ agent: inout ICEAgent, requests: inout [STUNTransactionID]) {
    var count = 0
    while let output = agent.pollOutput() {
        count += 1
        guard count < 10_000 else { fatalError("ICE agent output does not drain") }
        if case .transmit(let bytes, _, _) = output, let message = try? STUNMessage(parsing: bytes),
            message.messageClass == .request
        {
            requests.append(message.transactionID)
            if requests.count > 64 { requests.removeFirst(requests.count - 64) }
        }
    }
}

/// Rewrites a parsed message's integrity and fingerprint with `key` (and optionally its transaction ID).
private func resigned(_ bytes: ByteBuffer, key: STUNIntegrityKey, transactionID: STUNTransactionID?) -> ByteBuffer? {
    guard var message = try? STUNMessage(parsing: bytes) else { return nil }
    message.attributes.removeAll {
        $0.type == .messageIntegrity || $0.type == .messageIntegritySHA256 || $0.type == .fingerprint
    }
    if let transactionID, message.messageClass != .request { message.transactionID = transactionID }
    return try? message.serialized(integrityKey: key, fingerprint: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzICE(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let liteCredentials, let peerCredentials, let liteAddress, let fullAddress,
        let peerA = peerAddresses[0], let peerB = peerAddresses[1]
    else { fatalError("cannot set up the ICE agents under test") }

    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var generator = FuzzRandom()
    var lite = ICEAgent(mode: .lite, credentials: liteCredentials, using: &generator)
    var full = ICEAgent(mode: .full, role: .controlling, credentials: liteCredentials, using: &generator)
    var requests: [STUNTransactionID] = []
    do {
        try lite.addLocalCandidate(.host(liteAddress), now: now)
        try full.addLocalCandidate(.host(fullAddress), now: now)
        full.setRemoteCredentials(peerCredentials)
        try full.addRemoteCandidate(Candidate.host(peerA))
        try full.addRemoteCandidate(Candidate.host(peerB))
    } catch {
        fatalError("cannot set up the ICE agents under test: \(error)")
    }
    full.handleTimeout(now: now)
    drain(&lite, requests: &requests)
    drain(&full, requests: &requests)

    let input = UnsafeRawBufferPointer(start: start, count: count)
    var offset = 0
    var rounds = 0
    while offset < input.count, rounds < 512 {
        rounds += 1
        var length = input.count - offset
        if length >= 2 {
            let declared = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            length = min(declared, input.count - offset)
        }
        guard length > 0 else { continue }
        let control = input[offset]
        var datagram = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[(offset + 1)..<(offset + length)]))
        offset += length

        let toFull = control & 0x08 != 0
        let source = control & 0x04 != 0 ? peerB : peerA
        if control & 0x01 != 0 {
            // Requests to either agent are keyed with our (shared) password, responses to the full agent's
            // checks with the peer's.
            let isResponse = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self).map { $0 & 0x01 != 0 } ?? false
            let key = STUNIntegrityKey.shortTerm(
                password: isResponse ? peerCredentials.password : liteCredentials.password)
            let transactionID = control & 0x02 != 0 ? requests.last : nil
            if let rewritten = resigned(datagram, key: key, transactionID: transactionID) { datagram = rewritten }
        }
        if toFull {
            _ = full.handleReceive(datagram, from: source, to: fullAddress, now: now)
        } else {
            _ = lite.handleReceive(datagram, from: source, to: liteAddress, now: now)
        }
        drain(&lite, requests: &requests)
        drain(&full, requests: &requests)

        now = now + .milliseconds(100 * Int64(control >> 4))
        for _ in 0..<64 {
            var ran = false
            if let deadline = full.nextDeadline(), deadline <= now {
                full.handleTimeout(now: now)
                ran = true
            }
            if let deadline = lite.nextDeadline(), deadline <= now {
                lite.handleTimeout(now: now)
                ran = true
            }
            drain(&lite, requests: &requests)
            drain(&full, requests: &requests)
            guard ran else { break }
        }
        // A timer that stays due after it ran would spin a driver.
        if let deadline = full.nextDeadline(), deadline < now { fatalError("full agent deadline stuck in the past") }
        if let deadline = lite.nextDeadline(), deadline < now { fatalError("lite agent deadline stuck in the past") }
    }
    return 0
}
