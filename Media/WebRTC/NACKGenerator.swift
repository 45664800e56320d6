import NIOCore
import RTP

/// Receiver-side loss detection for one RTP stream: sequence gaps become Generic NACK items (RFC 4585 §6.2.1),
/// repeated every ``retryInterval`` until the packet arrives (as itself or as RTX, RFC 4588) or
/// ``maximumRetries`` is reached.
///
/// A sans-IO value: call ``packetReceived(sequenceNumber:now:)`` per packet, and when ``nextDeadline()`` passes,
/// ``collectNACKItems(now:)`` and send them. In-order packets touch no collection and allocate nothing.
public struct NACKGenerator: Sendable {
    /// How long a gap waits before the first NACK, so mere reordering is not reported.
    public var reorderingDelay: TimeAmount = .milliseconds(10)
    /// The time between NACKs for the same packet (about one round trip).
    public var retryInterval: TimeAmount = .milliseconds(100)
    /// NACKs per packet before giving up on it.
    public var maximumRetries = 10
    /// The most missing packets tracked; a larger gap (a long outage) keeps only the newest ones.
    public var maximumMissing = 512

    struct Missing: Sendable {
        var dueAt: NIODeadline
        var retries: Int
    }

    var unwrapper = SequenceNumberUnwrapper()
    var highest: Int64?
    var missing: [Int64: Missing] = [:]

    public init() {}

    /// The number of packets currently considered missing.
    public var missingCount: Int { missing.count }

    /// Records a received packet (original or recovered from RTX).
    public mutating func packetReceived(sequenceNumber: UInt16, now: NIODeadline) {
        let value = unwrapper.unwrapped(sequenceNumber)
        guard let last = highest else {
            highest = unwrapper.unwrap(sequenceNumber)
            return
        }
        if value <= last {
            if !missing.isEmpty { missing.removeValue(forKey: value) }
            return
        }
        if value > last + 1 {
            let first = max(last + 1, value - Int64(maximumMissing))
            if value - last > Int64(maximumMissing) { missing.removeAll(keepingCapacity: true) }
            for gap in first..<value { missing[gap] = Missing(dueAt: now + reorderingDelay, retries: 0) }
            if missing.count > maximumMissing {
                let cutoff = value - Int64(maximumMissing)
                missing = missing.filter { $0.key >= cutoff }
            }
        }
        highest = unwrapper.unwrap(sequenceNumber)
    }

    /// When ``collectNACKItems(now:)`` has something to send; nil when nothing is missing.
    public func nextDeadline() -> NIODeadline? {
        missing.values.lazy.map(\.dueAt).min()
    }

    /// The NACK items for every missing packet that is due, packed as PID + 16-bit BLP (RFC 4585 §6.2.1); each
    /// counts as one retry. Packets past ``maximumRetries`` are forgotten.
    public mutating func collectNACKItems(now: NIODeadline) -> [RTCPGenericNACK.Item] {
        var due: [Int64] = []
        for (sequence, entry) in missing where entry.dueAt <= now { due.append(sequence) }
        guard !due.isEmpty else { return [] }
        due.sort()
        for sequence in due {
            guard var entry = missing[sequence] else { continue }
            entry.retries += 1
            entry.dueAt = now + retryInterval
            if entry.retries >= maximumRetries {
                missing.removeValue(forKey: sequence)
            } else {
                missing[sequence] = entry
            }
        }
        var items: [RTCPGenericNACK.Item] = []
        var index = 0
        while index < due.count {
            let base = due[index]
            var mask: UInt16 = 0
            index += 1
            while index < due.count, due[index] - base <= 16 {
                mask |= 1 << UInt16(due[index] - base - 1)
                index += 1
            }
            items.append(RTCPGenericNACK.Item(packetID: UInt16(truncatingIfNeeded: base), lostBitmask: mask))
        }
        return items
    }
}

extension RTCPGenericNACK.Item {
    /// The sequence numbers this item reports lost: the PID and each set bit of the BLP (RFC 4585 §6.2.1).
    public var lostSequenceNumbers: [UInt16] {
        var result = [packetID]
        for bit in 0..<16 where lostBitmask & (1 << UInt16(bit)) != 0 {
            result.append(packetID &+ UInt16(bit + 1))
        }
        return result
    }
}
