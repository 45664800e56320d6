import NIOCore

/// The RTP header extensions WebRTC negotiates, with their `a=extmap` URIs (RFC 8285 §5).
public enum RTPHeaderExtensionKind: Sendable, Hashable, CaseIterable {
    /// Client-to-mixer audio level, RFC 6464.
    case audioLevel
    /// Absolute send time, 6.18 fixed-point seconds (webrtc.org experiments/rtp-hdrext/abs-send-time).
    case absSendTime
    /// Transport-wide sequence number, draft-holmer-rmcat-transport-wide-cc-extensions-01 §2.
    case transportSequenceNumber
    /// Media identification for BUNDLE, RFC 8843 §15 (`sdes:mid`).
    case mid
    /// RTP stream identifier, RFC 8852 §3.1 (`sdes:rtp-stream-id`).
    case rtpStreamID
    /// Repaired RTP stream identifier (on RTX/FEC streams), RFC 8852 §3.2 (`sdes:repaired-rtp-stream-id`).
    case repairedRTPStreamID

    /// The URI that names this extension in SDP `a=extmap`.
    public var uri: String {
        switch self {
        case .audioLevel: return "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
        case .absSendTime: return "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        case .transportSequenceNumber:
            return "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
        case .mid: return "urn:ietf:params:rtp-hdrext:sdes:mid"
        case .rtpStreamID: return "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
        case .repairedRTPStreamID: return "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
        }
    }

    /// The kind a URI names, or nil for a URI this module has no typed codec for.
    public init?(uri: String) {
        guard let kind = Self.allCases.first(where: { $0.uri == uri }) else { return nil }
        self = kind
    }
}

/// Which local identifier each WebRTC extension got in SDP negotiation (`a=extmap:<id> <uri>`, RFC 8285 §5).
/// A nil id means the extension was not negotiated.
public struct RTPHeaderExtensionMap: Sendable, Hashable {
    public var audioLevel: UInt8?
    public var absSendTime: UInt8?
    public var transportSequenceNumber: UInt8?
    public var mid: UInt8?
    public var rtpStreamID: UInt8?
    public var repairedRTPStreamID: UInt8?

    public init(
        audioLevel: UInt8? = nil,
        absSendTime: UInt8? = nil,
        transportSequenceNumber: UInt8? = nil,
        mid: UInt8? = nil,
        rtpStreamID: UInt8? = nil,
        repairedRTPStreamID: UInt8? = nil
    ) {
        self.audioLevel = audioLevel
        self.absSendTime = absSendTime
        self.transportSequenceNumber = transportSequenceNumber
        self.mid = mid
        self.rtpStreamID = rtpStreamID
        self.repairedRTPStreamID = repairedRTPStreamID
    }

    /// Builds the map from `a=extmap` pairs; URIs without a typed codec are ignored.
    public init(extmap: some Sequence<(id: UInt8, uri: String)>) {
        self.init()
        for entry in extmap {
            if let kind = RTPHeaderExtensionKind(uri: entry.uri) { self[kind] = entry.id }
        }
    }

    /// The id negotiated for `kind`.
    public subscript(kind: RTPHeaderExtensionKind) -> UInt8? {
        get {
            switch kind {
            case .audioLevel: return audioLevel
            case .absSendTime: return absSendTime
            case .transportSequenceNumber: return transportSequenceNumber
            case .mid: return mid
            case .rtpStreamID: return rtpStreamID
            case .repairedRTPStreamID: return repairedRTPStreamID
            }
        }
        set {
            switch kind {
            case .audioLevel: audioLevel = newValue
            case .absSendTime: absSendTime = newValue
            case .transportSequenceNumber: transportSequenceNumber = newValue
            case .mid: mid = newValue
            case .rtpStreamID: rtpStreamID = newValue
            case .repairedRTPStreamID: repairedRTPStreamID = newValue
            }
        }
    }

    /// The kind mapped to local identifier `id`, if any.
    @inlinable
    public func kind(forID id: UInt8) -> RTPHeaderExtensionKind? {
        if id == audioLevel { return .audioLevel }
        if id == absSendTime { return .absSendTime }
        if id == transportSequenceNumber { return .transportSequenceNumber }
        if id == mid { return .mid }
        if id == rtpStreamID { return .rtpStreamID }
        if id == repairedRTPStreamID { return .repairedRTPStreamID }
        return nil
    }
}

/// The client-to-mixer audio level of RFC 6464 §3: a voice-activity flag and the level in -dBov (0 = loudest,
/// 127 = silence).
public struct AudioLevel: Sendable, Hashable {
    /// The V bit: the sender's voice activity detector believes this packet contains speech.
    public var voiceActivity: Bool
    /// The level as a positive number of decibels below the overload point (0...127 means 0 to -127 dBov).
    public var level: UInt8

    public init(voiceActivity: Bool, level: UInt8) {
        self.voiceActivity = voiceActivity
        self.level = level & 0x7F
    }

    /// Decodes the one data byte (RFC 6464 §3).
    @inlinable
    public init(byte: UInt8) {
        self.voiceActivity = byte & 0x80 != 0
        self.level = byte & 0x7F
    }

    /// The encoded data byte.
    @inlinable
    public var byte: UInt8 { (voiceActivity ? 0x80 : 0) | (level & 0x7F) }
}

/// The abs-send-time extension: 24 bits, the low 6 bits of seconds and 18 fractional bits (6.18 fixed point),
/// wrapping every 64 s (webrtc.org experiments/rtp-hdrext/abs-send-time).
public struct AbsoluteSendTime: Sendable, Hashable {
    /// The 24-bit wire value.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue & 0x00FF_FFFF }

    /// Encodes a send time given in nanoseconds of any monotonic clock (only its value modulo 64 s matters).
    @inlinable
    public init(nanoseconds: UInt64) {
        let seconds = (nanoseconds / 1_000_000_000) & 0x3F
        let fraction = ((nanoseconds % 1_000_000_000) << 18) / 1_000_000_000
        self.rawValue = UInt32(truncatingIfNeeded: (seconds << 18) | fraction) & 0x00FF_FFFF
    }

    /// The time within the 64 s window, in nanoseconds (rounded down).
    @inlinable
    public var nanoseconds: UInt64 { (UInt64(rawValue) * 1_000_000_000) >> 18 }
}

/// The WebRTC header extensions of one packet, decoded together in a single walk of the extension block.
public struct WebRTCHeaderExtensions: Sendable, Hashable {
    public var audioLevel: AudioLevel?
    public var absSendTime: AbsoluteSendTime?
    /// The transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public var transportSequenceNumber: UInt16?
    /// The BUNDLE media id (RFC 8843 §15).
    public var mid: String?
    /// The RTP stream id, i.e. the simulcast layer's rid (RFC 8852 §3.1).
    public var rtpStreamID: String?
    /// The repaired RTP stream id (RFC 8852 §3.2).
    public var repairedRTPStreamID: String?

    public init(
        audioLevel: AudioLevel? = nil,
        absSendTime: AbsoluteSendTime? = nil,
        transportSequenceNumber: UInt16? = nil,
        mid: String? = nil,
        rtpStreamID: String? = nil,
        repairedRTPStreamID: String? = nil
    ) {
        self.audioLevel = audioLevel
        self.absSendTime = absSendTime
        self.transportSequenceNumber = transportSequenceNumber
        self.mid = mid
        self.rtpStreamID = rtpStreamID
        self.repairedRTPStreamID = repairedRTPStreamID
    }
}

extension RTPPacket {
    /// Decodes every WebRTC extension present in the packet, using the negotiated `map`.
    /// - Throws: ``RTPParseError/invalidExtensionLength(_:length:)`` when a mapped element has a length its
    ///   definition does not allow.
    public func webRTCHeaderExtensions(using map: RTPHeaderExtensionMap) throws(RTPParseError)
        -> WebRTCHeaderExtensions
    {
        var result = WebRTCHeaderExtensions()
        for element in headerExtensions {
            guard let kind = map.kind(forID: element.id) else { continue }
            let range = element.range
            switch kind {
            case .audioLevel:
                result.audioLevel = try Self.decodeAudioLevel(bytes, range)
            case .absSendTime:
                result.absSendTime = try Self.decodeAbsSendTime(bytes, range)
            case .transportSequenceNumber:
                result.transportSequenceNumber = try Self.decodeTransportSequenceNumber(bytes, range)
            case .mid:
                result.mid = try Self.decodeSDES(bytes, range, kind)
            case .rtpStreamID:
                result.rtpStreamID = try Self.decodeSDES(bytes, range, kind)
            case .repairedRTPStreamID:
                result.repairedRTPStreamID = try Self.decodeSDES(bytes, range, kind)
            }
        }
        return result
    }

    /// The RFC 6464 audio level under local id `id`, nil when absent.
    /// - Throws: ``RTPParseError/invalidExtensionLength(_:length:)`` unless the element is 1 byte.
    @inlinable
    public func audioLevel(id: UInt8?) throws(RTPParseError) -> AudioLevel? {
        guard let id, let range = headerExtensionRange(id: id) else { return nil }
        return try Self.decodeAudioLevel(bytes, range)
    }

    /// The abs-send-time under local id `id`, nil when absent.
    /// - Throws: ``RTPParseError/invalidExtensionLength(_:length:)`` unless the element is 3 bytes.
    @inlinable
    public func absSendTime(id: UInt8?) throws(RTPParseError) -> AbsoluteSendTime? {
        guard let id, let range = headerExtensionRange(id: id) else { return nil }
        return try Self.decodeAbsSendTime(bytes, range)
    }

    /// The transport-wide sequence number under local id `id`, nil when absent.
    /// - Throws: ``RTPParseError/invalidExtensionLength(_:length:)`` when the element is shorter than 2 bytes
    ///   (the 4-byte transport-wide-cc-02 variant is accepted; its first 2 bytes are the sequence number).
    @inlinable
    public func transportSequenceNumber(id: UInt8?) throws(RTPParseError) -> UInt16? {
        guard let id, let range = headerExtensionRange(id: id) else { return nil }
        return try Self.decodeTransportSequenceNumber(bytes, range)
    }

    /// The SDES string item (mid, rid or repaired rid, RFC 8843/8852) under local id `id`, nil when absent.
    public func sdesString(id: UInt8?, kind: RTPHeaderExtensionKind = .mid) throws(RTPParseError) -> String? {
        guard let id, let range = headerExtensionRange(id: id) else { return nil }
        return try Self.decodeSDES(bytes, range, kind)
    }

    @inlinable
    static func decodeAudioLevel(_ bytes: ByteBuffer, _ range: Range<Int>) throws(RTPParseError) -> AudioLevel {
        guard range.count == 1, let byte = bytes.getInteger(at: range.lowerBound, as: UInt8.self) else {
            throw .invalidExtensionLength(.audioLevel, length: range.count)
        }
        return AudioLevel(byte: byte)
    }

    @inlinable
    static func decodeAbsSendTime(_ bytes: ByteBuffer, _ range: Range<Int>) throws(RTPParseError)
        -> AbsoluteSendTime
    {
        guard range.count == 3,
            let high = bytes.getInteger(at: range.lowerBound, as: UInt8.self),
            let low = bytes.getInteger(at: range.lowerBound + 1, as: UInt16.self)
        else {
            throw .invalidExtensionLength(.absSendTime, length: range.count)
        }
        return AbsoluteSendTime(rawValue: UInt32(high) << 16 | UInt32(low))
    }

    @inlinable
    static func decodeTransportSequenceNumber(_ bytes: ByteBuffer, _ range: Range<Int>) throws(RTPParseError)
        -> UInt16
    {
        guard range.count >= 2, let value = bytes.getInteger(at: range.lowerBound, as: UInt16.self) else {
            throw .invalidExtensionLength(.transportSequenceNumber, length: range.count)
        }
        return value
    }

    static func decodeSDES(_ bytes: ByteBuffer, _ range: Range<Int>, _ kind: RTPHeaderExtensionKind)
        throws(RTPParseError) -> String
    {
        guard range.count >= 1, range.count <= 255,
            let string = bytes.getString(at: range.lowerBound, length: range.count)
        else {
            throw .invalidExtensionLength(kind, length: range.count)
        }
        return string
    }
}

extension RTPHeaderExtensionBlockWriter {
    /// Appends an RFC 6464 audio level element (1 byte).
    public func appendAudioLevel(_ value: AudioLevel, id: UInt8, to buffer: inout ByteBuffer)
        throws(RTPSerializationError)
    {
        try append(id: id, data: CollectionOfOne(value.byte), to: &buffer)
    }

    /// Appends an abs-send-time element (3 bytes, big-endian 24-bit).
    public func appendAbsSendTime(_ value: AbsoluteSendTime, id: UInt8, to buffer: inout ByteBuffer)
        throws(RTPSerializationError)
    {
        let raw = value.rawValue
        let bytes = (
            UInt8(truncatingIfNeeded: raw >> 16), UInt8(truncatingIfNeeded: raw >> 8), UInt8(truncatingIfNeeded: raw)
        )
        try append(id: id, data: [bytes.0, bytes.1, bytes.2], to: &buffer)
    }

    /// Appends a transport-wide sequence number element (2 bytes).
    public func appendTransportSequenceNumber(_ value: UInt16, id: UInt8, to buffer: inout ByteBuffer)
        throws(RTPSerializationError)
    {
        try append(
            id: id,
            data: [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)],
            to: &buffer
        )
    }

    /// Appends an SDES string element such as mid or rid (RFC 8843 §15, RFC 8852 §3).
    public func appendSDES(_ value: String, id: UInt8, to buffer: inout ByteBuffer) throws(RTPSerializationError) {
        try append(id: id, data: value.utf8, to: &buffer)
    }
}

extension RTPHeaderExtensionElement {
    /// An RFC 6464 audio level element.
    public static func audioLevel(_ value: AudioLevel, id: UInt8) -> Self { Self(id: id, data: [value.byte]) }

    /// An abs-send-time element.
    public static func absSendTime(_ value: AbsoluteSendTime, id: UInt8) -> Self {
        let raw = value.rawValue
        return Self(
            id: id,
            data: [
                UInt8(truncatingIfNeeded: raw >> 16), UInt8(truncatingIfNeeded: raw >> 8),
                UInt8(truncatingIfNeeded: raw),
            ]
        )
    }

    /// A transport-wide sequence number element.
    public static func transportSequenceNumber(_ value: UInt16, id: UInt8) -> Self {
        Self(id: id, data: [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }

    /// An SDES string element (mid, rid, repaired rid).
    public static func sdes(_ value: String, id: UInt8) -> Self { Self(id: id, data: Array(value.utf8)) }
}
