import NIOCore
import RTP
import SDP
import SRTP

/// The send side of one video stream that negotiated `a=rtcp-fb:… nack`: the packets kept for retransmission
/// and, when RTX was negotiated, the RTX SSRC, payload types and sequence space (RFC 4588 §4).
struct OutboundVideoStream {
    var ssrc: UInt32
    var rtxSSRC: UInt32?
    /// Media payload type → its RTX payload type (`apt`).
    var rtxPayloadTypes: [UInt8: UInt8]
    var rtxSequenceNumber: UInt16 = 0
    var buffer = RetransmissionBuffer()
}

// Loss recovery for video (RFC 4585 §6.2.1 Generic NACK, RFC 4588 RTX): receivers NACK sequence gaps, senders
// answer from a retransmission buffer, on the RTX stream when it was negotiated, else by resending the packet.
extension PeerConnection {
    /// Sets up NACK and RTX for the negotiated media (after the answer).
    func configureLossRecovery() {
        outboundStreams.removeAll()
        // The answer has a=rtcp-rsize only when both sides support it.
        reducedSizeRTCP = negotiatedReducedSizeRTCP
        nackMIDs.removeAll()
        rtxAssociatedPayloadType.removeAll()
        for media in negotiatedMedia where media.kind == .video {
            guard media.codecs.contains(where: { $0.supportsFeedback("nack") }) else { continue }
            nackMIDs.insert(media.mid)
            var rtxPayloadTypes: [UInt8: UInt8] = [:]
            for codec in media.codecs where codec.name.lowercased() == "rtx" {
                guard let apt = codec.associatedPayloadType else { continue }
                rtxPayloadTypes[apt] = codec.payloadType
                rtxAssociatedPayloadType[codec.payloadType] = apt
            }
            outboundStreams[media.localSSRC] = OutboundVideoStream(
                ssrc: media.localSSRC, rtxSSRC: rtxPayloadTypes.isEmpty ? nil : media.localRTXSSRC,
                rtxPayloadTypes: rtxPayloadTypes,
                buffer: RetransmissionBuffer(capacity: configuration.retransmissionHistory))
        }
    }

    /// The peer's RTX SSRCs from `a=ssrc-group:FID media rtx` (RFC 5576 §4.2, RFC 4588 §8.2).
    func learnRemoteRTXSSRCs(from description: SessionDescription) {
        for media in description.media {
            for group in media.attributes.ssrcGroups where group.semantics == "FID" && group.ssrcs.count == 2 {
                remoteRTXToMediaSSRC[group.ssrcs[1]] = group.ssrcs[0]
            }
        }
    }

    /// Keeps an outgoing packet of a NACK-enabled stream (copied into the ring; no allocation once warm).
    func rememberForRetransmission(_ packet: ByteBuffer) {
        guard !outboundStreams.isEmpty,
            let ssrc = packet.getInteger(at: packet.readerIndex + 8, as: UInt32.self),
            let sequenceNumber = packet.getInteger(at: packet.readerIndex + 2, as: UInt16.self),
            outboundStreams[ssrc] != nil
        else { return }
        outboundStreams[ssrc]?.buffer.store(packet, sequenceNumber: sequenceNumber)
    }

    /// Answers a Generic NACK for one of our streams: each still-buffered packet is sent again, wrapped in RTX
    /// when negotiated (RFC 4588 §4), protected with SRTP (the outbound session allows repeats).
    func answerNACK(_ nack: RTCPGenericNACK) {
        guard let selected, let outboundSRTP, var stream = outboundStreams[nack.mediaSSRC] else { return }
        let allocator = ByteBufferAllocator()
        for item in nack.items {
            for sequenceNumber in item.lostSequenceNumbers {
                guard let original = stream.buffer.packet(sequenceNumber: sequenceNumber) else { continue }
                var retransmission: ByteBuffer
                let payloadType = (original.getInteger(at: original.readerIndex + 1, as: UInt8.self) ?? 0) & 0x7F
                if let rtxSSRC = stream.rtxSSRC, let rtxPayloadType = stream.rtxPayloadTypes[payloadType],
                    let parsed = try? RTPPacket(parsing: original)
                {
                    retransmission = allocator.buffer(
                        capacity: original.readableBytes + 2 + SRTPSession.maximumTrailerLength)
                    RTX.wrap(
                        parsed, rtxSSRC: rtxSSRC, rtxSequenceNumber: stream.rtxSequenceNumber,
                        rtxPayloadType: rtxPayloadType, into: &retransmission)
                    stream.rtxSequenceNumber &+= 1
                } else {
                    retransmission = allocator.buffer(capacity: original.readableBytes + SRTPSession.maximumTrailerLength)
                    retransmission.writeImmutableBuffer(original)
                }
                do { try outboundSRTP.protectRTP(in: &retransmission) } catch { continue }
                outputs.append(.transmit(retransmission, from: selected.local, to: selected.remote))
                retransmissionsSent += 1
            }
        }
        outboundStreams[nack.mediaSSRC] = stream
    }

    /// What ``restoreFromRTX(_:)`` made of an inbound packet.
    enum RTXRestoration {
        /// Not an RTX payload type: use the packet as it is.
        case notRTX
        /// The original packet, recovered (RFC 4588 §4).
        case restored(RTPPacket)
        /// RTX of a stream we cannot map (no `a=ssrc-group:FID`), or without an OSN (a padding-only probe).
        case unusable
    }

    /// An inbound RTX packet turned back into the original (RFC 4588 §4).
    func restoreFromRTX(_ packet: RTPPacket) -> RTXRestoration {
        guard let apt = rtxAssociatedPayloadType[packet.header.payloadType] else { return .notRTX }
        guard let mediaSSRC = remoteRTXToMediaSSRC[packet.header.ssrc], packet.header.payloadLength >= 2 else {
            return .unusable
        }
        var restored = ByteBufferAllocator().buffer(capacity: packet.bytes.readableBytes)
        do {
            try RTX.unwrap(packet, originalSSRC: mediaSSRC, originalPayloadType: apt, into: &restored)
            return .restored(try RTPPacket(parsing: restored))
        } catch {
            return .unusable
        }
    }

    /// Feeds a received packet of a NACK-enabled section to its stream's gap detector.
    func noteReceivedForNACK(_ packet: RTPPacket, mid: String?, now: NIODeadline) {
        guard let mid, nackMIDs.contains(mid) else { return }
        let ssrc = packet.header.ssrc
        if nackGenerators[ssrc] == nil {
            guard nackGenerators.count < 64 else { return }
            nackGenerators[ssrc] = NACKGenerator()
        }
        nackGenerators[ssrc]?.packetReceived(sequenceNumber: packet.header.sequenceNumber, now: now)
    }

    /// The earliest NACK due, while media can be sent.
    var nackDeadline: NIODeadline? {
        guard isMediaReady, !nackGenerators.isEmpty else { return nil }
        return nackGenerators.values.lazy.compactMap { $0.nextDeadline() }.min()
    }

    /// Sends a Generic NACK (reduced-size RTCP, RFC 5506) for every stream with missing packets due.
    func sendDueNACKs(now: NIODeadline) {
        guard isMediaReady, !nackGenerators.isEmpty else { return }
        let senderSSRC = negotiatedMedia.first { $0.kind == .video }?.localSSRC ?? negotiatedMedia.first?.localSSRC ?? 1
        for ssrc in Array(nackGenerators.keys) {
            guard let deadline = nackGenerators[ssrc]?.nextDeadline(), deadline <= now else { continue }
            let items = nackGenerators[ssrc]?.collectNACKItems(now: now) ?? []
            guard !items.isEmpty else { continue }
            let nack = RTCPPacket.genericNACK(RTCPGenericNACK(senderSSRC: senderSSRC, mediaSSRC: ssrc, items: items))
            // RFC 4585 §3.1: a compound starting with a report, unless reduced-size RTCP was negotiated (RFC 5506).
            let packets = reducedSizeRTCP ? [nack] : [.receiverReport(RTCPReceiverReport(ssrc: senderSSRC)), nack]
            do {
                try sendRTCP(packets, now: now)
                nacksSent += 1
            } catch {
                continue
            }
        }
    }
}
