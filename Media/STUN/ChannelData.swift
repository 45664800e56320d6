import NIOCore

/// A TURN ChannelData message: a 4-byte header (channel number, length) and application data, the compact
/// alternative to Send/Data indications once a channel is bound (RFC 8656 §12.4).
///
/// Channel numbers 0x4000–0x7FFF are accepted on parse although RFC 8656 §12 narrowed the valid range to
/// 0x4000–0x4FFF: RFC 5766 allowed the whole range and coturn's clients still pick from it. Whether to *bind* such a
/// number is the server's policy (``rfc8656ChannelNumbers``).
public struct ChannelData: Hashable, Sendable {
    /// Every number this codec accepts (RFC 5766 §11).
    public static let channelNumbers: ClosedRange<UInt16> = 0x4000...0x7FFF
    /// The numbers RFC 8656 §12 lets a client bind; 0x5000–0x7FFF are reserved there.
    public static let rfc8656ChannelNumbers: ClosedRange<UInt16> = 0x4000...0x4FFF
    /// The ChannelData header is 4 bytes.
    public static let headerLength = 4

    /// The channel, 0x4000–0x7FFF.
    public var channelNumber: UInt16
    /// The application data. Parsed from a `ByteBuffer`, a slice of it (no copy).
    public var payload: ByteBuffer

    public init(channelNumber: UInt16, payload: ByteBuffer) {
        self.channelNumber = channelNumber
        self.payload = payload
    }

    /// How a ChannelData message is padded when written (RFC 8656 §12.5).
    public enum Padding: Hashable, Sendable {
        /// No padding: the usual form over UDP, where it is optional.
        case none
        /// Padded with zeros to a multiple of 4 bytes: required over TCP and TLS (stream transports).
        case toFourBytes
    }

    /// Parses a ChannelData message that fills a whole datagram (UDP/DTLS).
    ///
    /// The datagram must hold at least the 4 + Length bytes the header claims (RFC 8656 §12.5 says shorter ones
    /// are discarded); up to 3 further bytes are accepted as padding, anything beyond that is a length mismatch.
    public init(parsingDatagram buffer: ByteBuffer) throws(STUNParseError) {
        let (channel, length) = try Self.header(of: buffer)
        let available = buffer.readableBytes - Self.headerLength
        guard length <= available, available - length <= 3 else {
            throw .lengthMismatch(declared: Self.headerLength + length, available: buffer.readableBytes)
        }
        self.init(
            channelNumber: channel,
            payload: buffer.getSlice(at: buffer.readerIndex + Self.headerLength, length: length) ?? ByteBuffer()
        )
    }

    /// Parses a ChannelData message that fills a whole datagram given as bytes.
    public init(parsingDatagram bytes: [UInt8]) throws(STUNParseError) {
        try self.init(parsingDatagram: ByteBuffer(bytes: bytes))
    }

    /// The result of looking for a ChannelData frame at the start of a stream buffer.
    public enum StreamParseResult: Hashable, Sendable {
        /// The buffer holds less than a full frame; at least `totalNeeded` readable bytes are needed from its start.
        case needMoreBytes(totalNeeded: Int)
        /// A full frame: the message, and how many bytes it took including padding (consume that many).
        case frame(ChannelData, consumed: Int)
    }

    /// Looks for one ChannelData frame at the start of `buffer`'s readable bytes, in the stream form (TCP/TLS), where
    /// each message is padded to 4 bytes (RFC 8656 §12.5). Does not move the reader index.
    public static func parse(stream buffer: ByteBuffer) throws(STUNParseError) -> StreamParseResult {
        guard buffer.readableBytes >= headerLength else { return .needMoreBytes(totalNeeded: headerLength) }
        let (channel, length) = try header(of: buffer)
        let total = headerLength + paddedToFour(length)
        guard buffer.readableBytes >= total else { return .needMoreBytes(totalNeeded: total) }
        let payload = buffer.getSlice(at: buffer.readerIndex + headerLength, length: length) ?? ByteBuffer()
        return .frame(ChannelData(channelNumber: channel, payload: payload), consumed: total)
    }

    private static func header(of buffer: ByteBuffer) throws(STUNParseError) -> (UInt16, Int) {
        guard let channel = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self)
        else { throw .lengthMismatch(declared: headerLength, available: buffer.readableBytes) }
        guard channelNumbers.contains(channel) else { throw .invalidChannelNumber(channel) }
        return (channel, Int(length))
    }

    /// Appends the message to `buffer`: channel number, length, data, and zero padding for `.toFourBytes`.
    /// On error `buffer` is unchanged.
    public func write(into buffer: inout ByteBuffer, padding: Padding) throws(STUNEncodeError) {
        guard Self.channelNumbers.contains(channelNumber) else { throw .invalidChannelNumber(channelNumber) }
        let length = payload.readableBytes
        guard length <= 0xFFFF else { throw .channelDataTooLong(length) }
        buffer.writeInteger(channelNumber)
        buffer.writeInteger(UInt16(truncatingIfNeeded: length))
        buffer.writeImmutableBuffer(payload)
        if padding == .toFourBytes {
            buffer.writeRepeatingByte(0, count: paddedToFour(length) - length)
        }
    }

    /// The message in a new buffer; see ``write(into:padding:)``.
    public func serialized(
        padding: Padding,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(STUNEncodeError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.headerLength + paddedToFour(payload.readableBytes))
        try write(into: &buffer, padding: padding)
        return buffer
    }
}
