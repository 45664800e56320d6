import NIOCore

/// An RTCP packet whose type this module does not decode (e.g. XR, TMMBR, an APP-layer feedback that is not
/// REMB), kept byte for byte, header included.
public struct RTCPUnknownPacket: Sendable, Hashable {
    /// The whole packet: common header, body and any padding.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The packet type byte.
    public var packetType: UInt8 { bytes.count > 1 ? bytes[1] : 0 }
    /// The 5-bit count/format field.
    public var countOrFormat: UInt8 { bytes.first.map { $0 & 0x1F } ?? 0 }

    /// Writes the stored bytes verbatim.
    /// - Throws: ``RTCPSerializationError/malformedUnknownPacket`` unless they form one RTCP packet whose
    ///   length field matches.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard bytes.count >= 4, bytes.count % 4 == 0, bytes[0] >> 6 == 2,
            (Int(bytes[2]) << 8 | Int(bytes[3]) + 1) * 4 == bytes.count
        else {
            throw .malformedUnknownPacket
        }
        buffer.writeBytes(bytes)
    }
}

/// One RTCP packet of a compound (RFC 3550 §6), decoded by type.
public enum RTCPPacket: Sendable, Hashable {
    /// SR, PT 200 (RFC 3550 §6.4.1).
    case senderReport(RTCPSenderReport)
    /// RR, PT 201 (RFC 3550 §6.4.2).
    case receiverReport(RTCPReceiverReport)
    /// SDES, PT 202 (RFC 3550 §6.5).
    case sourceDescription(RTCPSourceDescription)
    /// BYE, PT 203 (RFC 3550 §6.6).
    case bye(RTCPBye)
    /// APP, PT 204 (RFC 3550 §6.7).
    case applicationDefined(RTCPApplicationDefined)
    /// Generic NACK, PT 205 FMT 1 (RFC 4585 §6.2.1).
    case genericNACK(RTCPGenericNACK)
    /// Transport-wide congestion control feedback, PT 205 FMT 15 (draft-holmer-…-01 §3.1).
    case transportCCFeedback(TransportCCFeedback)
    /// Picture loss indication, PT 206 FMT 1 (RFC 4585 §6.3.1).
    case pictureLossIndication(RTCPPictureLossIndication)
    /// Full intra request, PT 206 FMT 4 (RFC 5104 §4.3.1).
    case fullIntraRequest(RTCPFullIntraRequest)
    /// Receiver estimated maximum bitrate, PT 206 FMT 15 "REMB" (draft-alvestrand-rmcat-remb).
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    /// Any other packet, kept verbatim.
    case unknown(RTCPUnknownPacket)

    /// Decodes one located packet by its type and format.
    /// - Throws: ``RTCPParseError`` when the body does not match its type.
    public init(view: RTCPPacketView) throws(RTCPParseError) {
        switch (view.packetType, view.countOrFormat) {
        case (RTCPPacketType.senderReport, _):
            self = .senderReport(try RTCPSenderReport(view: view))
        case (RTCPPacketType.receiverReport, _):
            self = .receiverReport(try RTCPReceiverReport(view: view))
        case (RTCPPacketType.sourceDescription, _):
            self = .sourceDescription(try RTCPSourceDescription(view: view))
        case (RTCPPacketType.bye, _):
            self = .bye(try RTCPBye(view: view))
        case (RTCPPacketType.applicationDefined, _):
            self = .applicationDefined(try RTCPApplicationDefined(view: view))
        case (RTCPPacketType.transportFeedback, RTCPGenericNACK.format):
            self = .genericNACK(try RTCPGenericNACK(view: view))
        case (RTCPPacketType.transportFeedback, TransportCCFeedback.format):
            self = .transportCCFeedback(try TransportCCFeedback(view: view))
        case (RTCPPacketType.payloadFeedback, RTCPPictureLossIndication.format):
            self = .pictureLossIndication(try RTCPPictureLossIndication(view: view))
        case (RTCPPacketType.payloadFeedback, RTCPFullIntraRequest.format):
            self = .fullIntraRequest(try RTCPFullIntraRequest(view: view))
        case (RTCPPacketType.payloadFeedback, RTCPReceiverEstimatedMaximumBitrate.format)
        where RTCPReceiverEstimatedMaximumBitrate.isREMB(view):
            self = .receiverEstimatedMaximumBitrate(try RTCPReceiverEstimatedMaximumBitrate(view: view))
        default:
            let range = view.packetRange
            self = .unknown(
                RTCPUnknownPacket(bytes: view.bytes.getBytes(at: range.lowerBound, length: range.count) ?? [])
            )
        }
    }

    /// Parses every packet of an RTCP compound made of the readable bytes of `buffer` (RFC 3550 §6.1).
    ///
    /// Reduced-size RTCP (RFC 5506) is accepted: the first packet need not be SR or RR.
    /// - Throws: ``RTCPParseError`` for the first malformed packet; nothing is returned then.
    public static func parseCompound(_ buffer: ByteBuffer) throws(RTCPParseError) -> [RTCPPacket] {
        var reader = RTCPCompoundReader(buffer)
        var packets: [RTCPPacket] = []
        while let view = try reader.next() {
            packets.append(try RTCPPacket(view: view))
        }
        guard !packets.isEmpty else { throw .truncatedHeader(available: 0) }
        return packets
    }

    /// Writes this packet.
    /// - Throws: ``RTCPSerializationError`` when a field does not fit; the buffer is then left as it was.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        let start = buffer.writerIndex
        do throws(RTCPSerializationError) {
            switch self {
            case .senderReport(let packet): try packet.write(to: &buffer)
            case .receiverReport(let packet): try packet.write(to: &buffer)
            case .sourceDescription(let packet): try packet.write(to: &buffer)
            case .bye(let packet): try packet.write(to: &buffer)
            case .applicationDefined(let packet): try packet.write(to: &buffer)
            case .genericNACK(let packet): try packet.write(to: &buffer)
            case .transportCCFeedback(let packet): try packet.write(to: &buffer)
            case .pictureLossIndication(let packet): try packet.write(to: &buffer)
            case .fullIntraRequest(let packet): try packet.write(to: &buffer)
            case .receiverEstimatedMaximumBitrate(let packet): try packet.write(to: &buffer)
            case .unknown(let packet): try packet.write(to: &buffer)
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }
}

extension ByteBuffer {
    /// Writes `packets` back to back as one RTCP compound (RFC 3550 §6.1).
    /// - Returns: the number of bytes written.
    /// - Throws: ``RTCPSerializationError``; the buffer is then left as it was.
    @discardableResult
    public mutating func writeRTCPCompound(_ packets: some Sequence<RTCPPacket>) throws(RTCPSerializationError)
        -> Int
    {
        let start = writerIndex
        do throws(RTCPSerializationError) {
            for packet in packets { try packet.write(to: &self) }
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        return writerIndex - start
    }
}
