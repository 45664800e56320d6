import NIOCore

/// Writes a one-byte or two-byte header extension block element by element, without intermediate arrays
/// (RFC 8285 §4). Call ``begin(form:in:)``, then ``append(id:data:to:)`` per element, then ``finish(in:)``,
/// which pads the block with zero bytes to a 32-bit boundary and fills in its length.
public struct RTPHeaderExtensionBlockWriter: Sendable {
    /// Index of the block's 4-byte header (profile + length) in the buffer.
    public let blockStart: Int
    /// The form being written.
    public let form: RTPHeaderExtensionForm

    /// Writes the block header (profile and a placeholder length) at the buffer's writer index.
    public static func begin(form: RTPHeaderExtensionForm, in buffer: inout ByteBuffer) -> Self {
        let start = buffer.writerIndex
        buffer.writeInteger(form.profile)
        buffer.writeInteger(UInt16(0))
        return Self(blockStart: start, form: form)
    }

    /// Appends one element.
    /// - Throws: ``RTPSerializationError`` when the id or length does not fit the form (RFC 8285 §4.2/§4.3).
    public func append(id: UInt8, data: some Collection<UInt8>, to buffer: inout ByteBuffer)
        throws(RTPSerializationError)
    {
        let count = data.count
        switch form {
        case .oneByte:
            guard (1...14).contains(id), (1...16).contains(count) else {
                throw .invalidOneByteElement(id: id, length: count)
            }
            buffer.writeInteger(id << 4 | UInt8(truncatingIfNeeded: count - 1))
        case .twoByte:
            guard id != 0, count <= 255 else { throw .invalidTwoByteElement(id: id, length: count) }
            buffer.writeInteger(id)
            buffer.writeInteger(UInt8(truncatingIfNeeded: count))
        case .opaque:
            break
        }
        buffer.writeBytes(data)
    }

    /// Pads the block to a multiple of 4 bytes and writes its length in 32-bit words (RFC 3550 §5.3.1).
    /// - Throws: ``RTPSerializationError/invalidRawExtensionLength(_:)`` if the block exceeds 65535 words.
    public func finish(in buffer: inout ByteBuffer) throws(RTPSerializationError) {
        let dataStart = blockStart + 4
        while (buffer.writerIndex - dataStart) % 4 != 0 {
            buffer.writeInteger(UInt8(0))
        }
        let words = (buffer.writerIndex - dataStart) / 4
        guard words <= Int(UInt16.max) else { throw .invalidRawExtensionLength(words * 4) }
        buffer.setInteger(UInt16(truncatingIfNeeded: words), at: blockStart + 2)
    }
}

extension ByteBuffer {
    /// Writes the 12-byte fixed RTP header (RFC 3550 §5.1) with the given P, X and CC bits.
    /// - Returns: the number of bytes written (12).
    @inlinable
    @discardableResult
    public mutating func writeRTPFixedHeader(
        padding: Bool = false,
        extension hasExtension: Bool = false,
        csrcCount: Int = 0,
        marker: Bool,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32
    ) -> Int {
        let b0: UInt8 =
            0x80 | (padding ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | UInt8(truncatingIfNeeded: csrcCount & 0x0F)
        let b1: UInt8 = (marker ? 0x80 : 0) | (payloadType & 0x7F)
        return writeInteger(b0) + writeInteger(b1) + writeInteger(sequenceNumber) + writeInteger(timestamp)
            + writeInteger(ssrc)
    }

    /// Writes a whole RTP packet: header, CSRCs, extension block, `payload`, and padding (RFC 3550 §5.1,
    /// RFC 8285 §4). On error nothing is left written.
    /// - Returns: the number of bytes written.
    /// - Throws: ``RTPSerializationError`` when a field does not fit its wire encoding.
    @discardableResult
    public mutating func writeRTPPacket(_ fields: RTPHeaderFields, payload: some Collection<UInt8>)
        throws(RTPSerializationError) -> Int
    {
        let start = writerIndex
        do throws(RTPSerializationError) {
            try writeRTPHeader(fields)
            writeBytes(payload)
            try writeRTPPadding(fields.paddingLength)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        return writerIndex - start
    }

    /// Writes a whole RTP packet whose payload is a `ByteBuffer` (its readable bytes; not consumed).
    @discardableResult
    public mutating func writeRTPPacket(_ fields: RTPHeaderFields, payload: ByteBuffer)
        throws(RTPSerializationError) -> Int
    {
        try writeRTPPacket(fields, payload: payload.readableBytesView)
    }

    /// Writes the header part (fixed header, CSRCs, extension block) of `fields`; the caller then writes the
    /// payload and, if `fields.paddingLength > 0`, calls ``writeRTPPadding(_:)``.
    public mutating func writeRTPHeader(_ fields: RTPHeaderFields) throws(RTPSerializationError) {
        guard fields.csrcs.count <= 15 else { throw .tooManyCSRCs(fields.csrcs.count) }
        guard fields.payloadType <= 127 else { throw .payloadTypeOutOfRange(fields.payloadType) }
        guard fields.paddingLength == 0 || (1...255).contains(fields.paddingLength) else {
            throw .invalidPaddingLength(fields.paddingLength)
        }
        let start = writerIndex
        writeRTPFixedHeader(
            padding: fields.paddingLength > 0,
            extension: fields.extensions != nil,
            csrcCount: fields.csrcs.count,
            marker: fields.marker,
            payloadType: fields.payloadType,
            sequenceNumber: fields.sequenceNumber,
            timestamp: fields.timestamp,
            ssrc: fields.ssrc
        )
        for csrc in fields.csrcs { writeInteger(csrc) }
        do throws(RTPSerializationError) {
            switch fields.extensions {
            case .none:
                break
            case .oneByte(let elements):
                let writer = RTPHeaderExtensionBlockWriter.begin(form: .oneByte, in: &self)
                for element in elements { try writer.append(id: element.id, data: element.data, to: &self) }
                try writer.finish(in: &self)
            case .twoByte(let appBits, let elements):
                guard appBits <= 0x0F else { throw RTPSerializationError.invalidAppBits(appBits) }
                let writer = RTPHeaderExtensionBlockWriter.begin(form: .twoByte(appBits: appBits), in: &self)
                for element in elements { try writer.append(id: element.id, data: element.data, to: &self) }
                try writer.finish(in: &self)
            case .opaque(let profile, let data):
                guard data.count % 4 == 0, data.count / 4 <= Int(UInt16.max) else {
                    throw RTPSerializationError.invalidRawExtensionLength(data.count)
                }
                writeInteger(profile)
                writeInteger(UInt16(truncatingIfNeeded: data.count / 4))
                writeBytes(data)
            }
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
    }

    /// Appends `length` bytes of RTP padding: zeros, then the count byte (RFC 3550 §5.1). 0 writes nothing.
    public mutating func writeRTPPadding(_ length: Int) throws(RTPSerializationError) {
        guard length != 0 else { return }
        guard (1...255).contains(length) else { throw .invalidPaddingLength(length) }
        if length > 1 { writeRepeatingByte(0, count: length - 1) }
        writeInteger(UInt8(truncatingIfNeeded: length))
    }
}
