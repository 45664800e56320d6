import NIOCore

/// What a packet is, judged from its first byte, when STUN, TURN ChannelData, DTLS and RTP/RTCP share one UDP
/// port (RFC 7983 §7, updating RFC 5764 §5.1.2).
public enum MultiplexedPacketKind: Hashable, Sendable {
    /// 0–3: STUN.
    case stun
    /// 16–19: ZRTP.
    case zrtp
    /// 20–63: DTLS.
    case dtls
    /// 64–79: TURN ChannelData.
    case channelData
    /// 128–191: RTP or RTCP.
    case rtpOrRTCP
    /// Any other first byte: drop the packet.
    case unknown

    /// Classifies by the first byte, per RFC 7983 §7.
    ///
    /// On a TURN server's own port only STUN and ChannelData arrive; there every first byte 64–127 is ChannelData
    /// (channel numbers 0x4000–0x7FFF, see ``ChannelData``), so use ``turnServerKind(ofFirstByte:)`` instead.
    public init(firstByte: UInt8) {
        switch firstByte {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .channelData
        case 128...191: self = .rtpOrRTCP
        default: self = .unknown
        }
    }

    /// Classifies the first readable byte of `packet`; `.unknown` for an empty buffer.
    public init(of packet: ByteBuffer) {
        guard let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self) else {
            self = .unknown
            return
        }
        self.init(firstByte: first)
    }

    /// Classification for a port that carries only STUN and ChannelData (a TURN server's listening port): 0–3 STUN,
    /// 64–127 ChannelData (RFC 8656 §12, whole RFC 5766 channel range), anything else `.unknown`.
    public static func turnServerKind(ofFirstByte firstByte: UInt8) -> MultiplexedPacketKind {
        switch firstByte {
        case 0...3: .stun
        case 64...127: .channelData
        default: .unknown
        }
    }
}

/// Cuts STUN messages and ChannelData frames out of a byte stream (TURN over TCP or TLS, RFC 8656 §12.5,
/// RFC 6062 control connections), where both are sent back to back with no other framing.
public enum STUNStreamFraming {
    /// What starts a stream buffer.
    public enum Frame: Hashable, Sendable {
        /// Not enough bytes yet: at least `totalNeeded` readable bytes are needed from the buffer's start.
        case needMoreBytes(totalNeeded: Int)
        /// A STUN message of `length` bytes (20 + Message Length) is complete at the start.
        case stunMessage(length: Int)
        /// A ChannelData frame of `length` bytes including its padding to 4 is complete at the start.
        case channelData(length: Int)
    }

    /// Finds the length of the next frame at `buffer`'s reader index without consuming anything.
    ///
    /// - Throws: ``STUNParseError/notSTUN(firstByte:)`` when the first byte is neither STUN (0–3) nor ChannelData
    ///   (64–127), ``STUNParseError/badMagicCookie(_:)`` or ``STUNParseError/lengthNotMultipleOfFour(_:)`` for a
    ///   broken STUN header. A stream that throws cannot be resynchronised and should be closed.
    public static func nextFrame(in buffer: ByteBuffer) throws(STUNParseError) -> Frame {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
            return .needMoreBytes(totalNeeded: 1)
        }
        switch MultiplexedPacketKind.turnServerKind(ofFirstByte: first) {
        case .stun:
            guard buffer.readableBytes >= STUNMessage.headerLength,
                let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self),
                let cookie = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
            else { return .needMoreBytes(totalNeeded: STUNMessage.headerLength) }
            guard cookie == STUNMessage.magicCookie else { throw .badMagicCookie(cookie) }
            guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(length) }
            let total = STUNMessage.headerLength + Int(length)
            return buffer.readableBytes >= total ? .stunMessage(length: total) : .needMoreBytes(totalNeeded: total)
        case .channelData:
            guard let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else {
                return .needMoreBytes(totalNeeded: ChannelData.headerLength)
            }
            let total = ChannelData.headerLength + paddedToFour(Int(length))
            return buffer.readableBytes >= total ? .channelData(length: total) : .needMoreBytes(totalNeeded: total)
        default:
            throw .notSTUN(firstByte: first)
        }
    }
}
