import NIOCore

/// RTP retransmission payload format (RFC 4588 §4): an RTX packet carries the original packet's payload
/// behind a 2-byte original sequence number (OSN), on its own SSRC, sequence space and payload type.
public enum RTX {
    /// The original sequence number at the start of an RTX packet's payload (RFC 4588 §4).
    /// - Throws: ``RTPParseError/truncatedRTXPayload(length:)`` when the payload is shorter than 2 bytes
    ///   (an RTX packet with an empty payload is padding-only probing, not a retransmission).
    public static func originalSequenceNumber(of packet: RTPPacket) throws(RTPParseError) -> UInt16 {
        guard packet.header.payloadLength >= 2,
            let osn = packet.bytes.getInteger(at: packet.payloadRange.lowerBound, as: UInt16.self)
        else {
            throw .truncatedRTXPayload(length: packet.header.payloadLength)
        }
        return osn
    }

    /// Writes the RTX packet that retransmits `original` (RFC 4588 §4): the original header and header
    /// extensions with the RTX SSRC, sequence number and payload type, then the OSN, then the original payload.
    /// Padding of the original is dropped.
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func wrap(
        _ original: RTPPacket,
        rtxSSRC: UInt32,
        rtxSequenceNumber: UInt16,
        rtxPayloadType: UInt8,
        into buffer: inout ByteBuffer
    ) -> Int {
        let start = buffer.writerIndex
        writeHeaderWithoutPadding(of: original, into: &buffer)
        buffer.rewriteRTPHeader(
            packetStart: start,
            ssrc: rtxSSRC,
            sequenceNumber: rtxSequenceNumber,
            payloadType: rtxPayloadType
        )
        buffer.writeInteger(original.header.sequenceNumber)
        var payload = original.payload
        buffer.writeBuffer(&payload)
        return buffer.writerIndex - start
    }

    /// Writes the original packet recovered from an RTX packet (RFC 4588 §4): the RTX header with the
    /// original SSRC and payload type and the OSN as sequence number, then the payload after the OSN.
    /// - Returns: the number of bytes written.
    /// - Throws: ``RTPParseError/truncatedRTXPayload(length:)`` when there is no OSN.
    @discardableResult
    public static func unwrap(
        _ rtx: RTPPacket,
        originalSSRC: UInt32,
        originalPayloadType: UInt8,
        into buffer: inout ByteBuffer
    ) throws(RTPParseError) -> Int {
        let osn = try originalSequenceNumber(of: rtx)
        let start = buffer.writerIndex
        writeHeaderWithoutPadding(of: rtx, into: &buffer)
        buffer.rewriteRTPHeader(
            packetStart: start,
            ssrc: originalSSRC,
            sequenceNumber: osn,
            payloadType: originalPayloadType
        )
        let payloadStart = rtx.payloadRange.lowerBound + 2
        if var rest = rtx.bytes.getSlice(at: payloadStart, length: rtx.header.payloadLength - 2) {
            buffer.writeBuffer(&rest)
        }
        return buffer.writerIndex - start
    }

    /// Copies the header bytes (fixed header, CSRCs, extension block) with the P bit cleared.
    private static func writeHeaderWithoutPadding(of packet: RTPPacket, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        if var header = packet.bytes.getSlice(at: packet.packetStart, length: packet.header.payloadOffset) {
            buffer.writeBuffer(&header)
        }
        if let b0 = buffer.getInteger(at: start, as: UInt8.self) {
            buffer.setInteger(b0 & ~0x20, at: start)
        }
    }
}
