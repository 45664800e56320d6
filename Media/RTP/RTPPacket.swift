import NIOCore

/// A parsed RTP packet (RFC 3550 §5.1): the header fields plus the original bytes.
///
/// `RTPPacket` keeps the `ByteBuffer` it was parsed from (sharing its storage, no copy) and records where the
/// CSRC list, extension elements and payload are. ``payload`` and ``headerExtension(id:)`` return zero-copy
/// slices; ``rewriteHeader(ssrc:sequenceNumber:timestamp:payloadType:marker:)`` changes fields in place, as an SFU
/// does when forwarding.
public struct RTPPacket: Sendable {
    /// The packet's bytes: the packet starts at `bytes.readerIndex` and ends at `bytes.writerIndex`.
    public private(set) var bytes: ByteBuffer
    /// The parsed header.
    public private(set) var header: RTPHeader

    /// Parses the readable bytes of `buffer` as one RTP packet, without copying them.
    /// - Throws: ``RTPParseError`` when the header, CSRC list, extension block or padding is malformed.
    public init(parsing buffer: ByteBuffer) throws(RTPParseError) {
        self.header = try RTPHeader(parsing: buffer)
        self.bytes = buffer
    }

    /// The index in ``bytes`` of the first byte of the packet.
    @inlinable
    public var packetStart: Int { bytes.readerIndex }

    /// The payload, excluding padding, as a zero-copy slice of ``bytes``.
    @inlinable
    public var payload: ByteBuffer {
        bytes.getSlice(at: packetStart + header.payloadOffset, length: header.payloadLength) ?? ByteBuffer()
    }

    /// The index range of the payload inside ``bytes``.
    @inlinable
    public var payloadRange: Range<Int> {
        let start = packetStart + header.payloadOffset
        return start..<(start + header.payloadLength)
    }

    /// The CSRC identifier at `index` (0-based), or nil when out of range (RFC 3550 §5.1).
    @inlinable
    public func csrc(at index: Int) -> UInt32? {
        guard index >= 0, index < header.csrcCount else { return nil }
        return bytes.getInteger(at: packetStart + RTPHeader.fixedHeaderLength + index * 4, as: UInt32.self)
    }

    /// The elements of a one-byte or two-byte header extension block, in order (RFC 8285 §4); empty for no
    /// block or an opaque profile. Iterating allocates nothing.
    @inlinable
    public var headerExtensions: RTPHeaderExtensionElements {
        let start = packetStart + header.extensionDataOffset
        return RTPHeaderExtensionElements(
            bytes: bytes,
            form: header.extensionForm ?? .opaque(profile: 0),
            start: start,
            end: start + header.extensionDataLength
        )
    }

    /// The index range inside ``bytes`` of the data of the first header extension element with local
    /// identifier `id`, or nil when absent (RFC 8285 §4).
    @inlinable
    public func headerExtensionRange(id: UInt8) -> Range<Int>? {
        guard id != 0, let form = header.extensionForm else { return nil }
        let start = packetStart + header.extensionDataOffset
        var walker = RTPHeaderExtensionWalker(form: form, start: start, end: start + header.extensionDataLength)
        while case .element(let elementID, let dataIndex, let dataLength) = walker.next(in: bytes) {
            if elementID == id { return dataIndex..<(dataIndex + dataLength) }
        }
        return nil
    }

    /// The data of the header extension element with local identifier `id` as a zero-copy slice, or nil.
    @inlinable
    public func headerExtension(id: UInt8) -> ByteBuffer? {
        guard let range = headerExtensionRange(id: id) else { return nil }
        return bytes.getSlice(at: range.lowerBound, length: range.count)
    }

    /// The data of the opaque extension block (any profile), as a zero-copy slice, or nil when X is clear.
    public var extensionBlockData: ByteBuffer? {
        guard header.hasExtension else { return nil }
        return bytes.getSlice(at: packetStart + header.extensionDataOffset, length: header.extensionDataLength)
    }

    /// Rewrites header fields in place, as an SFU does when forwarding (SSRC, sequence number and timestamp
    /// translation; payload type mapping). Fields passed as nil keep their value.
    ///
    /// ``bytes`` is copied first only if its storage is shared with another `ByteBuffer` (copy-on-write).
    public mutating func rewriteHeader(
        ssrc: UInt32? = nil,
        sequenceNumber: UInt16? = nil,
        timestamp: UInt32? = nil,
        payloadType: UInt8? = nil,
        marker: Bool? = nil
    ) {
        let ok = bytes.rewriteRTPHeader(
            packetStart: packetStart,
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: payloadType,
            marker: marker
        )
        guard ok else { return }
        if let ssrc { header.ssrc = ssrc }
        if let sequenceNumber { header.sequenceNumber = sequenceNumber }
        if let timestamp { header.timestamp = timestamp }
        if let payloadType { header.payloadType = payloadType & 0x7F }
        if let marker { header.marker = marker }
    }

    /// Overwrites the data of the header extension element `id` in place with `data` of the same length
    /// (e.g. a new transport-wide sequence number or abs-send-time when forwarding).
    /// - Returns: false when the element is absent or `data` has a different length.
    @discardableResult
    public mutating func overwriteHeaderExtension(id: UInt8, with data: some Collection<UInt8>) -> Bool {
        guard let range = headerExtensionRange(id: id), range.count == data.count else { return false }
        bytes.setBytes(data, at: range.lowerBound)
        return true
    }

    /// The header fields as an ``RTPHeaderFields`` value (allocates arrays; for building, tests and control use).
    public var headerFields: RTPHeaderFields {
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(header.csrcCount)
        for index in 0..<header.csrcCount {
            if let csrc = csrc(at: index) { csrcs.append(csrc) }
        }
        var block: RTPHeaderExtensionBlock?
        if let form = header.extensionForm {
            switch form {
            case .oneByte, .twoByte:
                var elements: [RTPHeaderExtensionElement] = []
                for element in headerExtensions {
                    elements.append(RTPHeaderExtensionElement(id: element.id, data: element.bytes))
                }
                if case .twoByte(let appBits) = form {
                    block = .twoByte(appBits: appBits, elements)
                } else {
                    block = .oneByte(elements)
                }
            case .opaque(let profile):
                let data =
                    bytes.getBytes(
                        at: packetStart + header.extensionDataOffset,
                        length: header.extensionDataLength
                    ) ?? []
                block = .opaque(profile: profile, data: data)
            }
        }
        return RTPHeaderFields(
            marker: header.marker,
            payloadType: header.payloadType,
            sequenceNumber: header.sequenceNumber,
            timestamp: header.timestamp,
            ssrc: header.ssrc,
            csrcs: csrcs,
            extensions: block,
            paddingLength: header.paddingLength
        )
    }
}

/// The elements of a header extension block, walked lazily (RFC 8285 §4).
public struct RTPHeaderExtensionElements: Sequence, Sendable {
    @usableFromInline let bytes: ByteBuffer
    @usableFromInline let form: RTPHeaderExtensionForm
    @usableFromInline let start: Int
    @usableFromInline let end: Int

    @inlinable
    init(bytes: ByteBuffer, form: RTPHeaderExtensionForm, start: Int, end: Int) {
        self.bytes = bytes
        self.form = form
        self.start = start
        self.end = end
    }

    /// One element: its local identifier and where its data lies in the packet's buffer.
    public struct Element: Sendable {
        /// The local identifier negotiated in SDP `a=extmap` (RFC 8285 §5).
        public let id: UInt8
        /// The index range of the element's data inside the packet's ``RTPPacket/bytes``.
        public let range: Range<Int>
        @usableFromInline let buffer: ByteBuffer

        @inlinable
        init(id: UInt8, range: Range<Int>, buffer: ByteBuffer) {
            self.id = id
            self.range = range
            self.buffer = buffer
        }

        /// The element's data as a zero-copy slice.
        @inlinable
        public var data: ByteBuffer { buffer.getSlice(at: range.lowerBound, length: range.count) ?? ByteBuffer() }

        /// The element's data copied into an array.
        public var bytes: [UInt8] { buffer.getBytes(at: range.lowerBound, length: range.count) ?? [] }
    }

    public struct Iterator: IteratorProtocol, Sendable {
        @usableFromInline let bytes: ByteBuffer
        @usableFromInline var walker: RTPHeaderExtensionWalker

        @inlinable
        init(bytes: ByteBuffer, walker: RTPHeaderExtensionWalker) {
            self.bytes = bytes
            self.walker = walker
        }

        @inlinable
        public mutating func next() -> Element? {
            guard case .element(let id, let dataIndex, let dataLength) = walker.next(in: bytes) else { return nil }
            return Element(id: id, range: dataIndex..<(dataIndex + dataLength), buffer: bytes)
        }
    }

    @inlinable
    public func makeIterator() -> Iterator {
        Iterator(bytes: bytes, walker: RTPHeaderExtensionWalker(form: form, start: start, end: end))
    }
}

extension ByteBuffer {
    /// Rewrites fields of the RTP packet whose first byte is at index `packetStart`, in place
    /// (RFC 3550 §5.1 field positions). Fields passed as nil are left alone; the payload type keeps 7 bits.
    /// - Returns: false (and changes nothing) when fewer than 12 bytes of the packet are readable.
    @inlinable
    @discardableResult
    public mutating func rewriteRTPHeader(
        packetStart: Int,
        ssrc: UInt32? = nil,
        sequenceNumber: UInt16? = nil,
        timestamp: UInt32? = nil,
        payloadType: UInt8? = nil,
        marker: Bool? = nil
    ) -> Bool {
        guard packetStart >= readerIndex, packetStart <= writerIndex - RTPHeader.fixedHeaderLength else {
            return false
        }
        if payloadType != nil || marker != nil, let b1 = getInteger(at: packetStart + 1, as: UInt8.self) {
            var value = b1
            if let payloadType { value = (value & 0x80) | (payloadType & 0x7F) }
            if let marker { value = marker ? (value | 0x80) : (value & 0x7F) }
            setInteger(value, at: packetStart + 1)
        }
        if let sequenceNumber { setInteger(sequenceNumber, at: packetStart + 2) }
        if let timestamp { setInteger(timestamp, at: packetStart + 4) }
        if let ssrc { setInteger(ssrc, at: packetStart + 8) }
        return true
    }
}
