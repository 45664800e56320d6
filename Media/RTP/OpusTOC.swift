import NIOCore

/// The table-of-contents byte that starts every Opus packet (RFC 6716 §3.1), the payload of Opus over RTP
/// (RFC 7587 §4.2). The rest of the payload is opaque to an SFU.
public struct OpusTOC: Sendable, Hashable {
    /// The coding mode chosen by the configuration number (RFC 6716 §3.1, Table 2).
    public enum Mode: Sendable, Hashable {
        case silk
        case hybrid
        case celt
    }

    /// The audio bandwidth (RFC 6716 §2).
    public enum Bandwidth: Sendable, Hashable {
        case narrowband
        case mediumband
        case wideband
        case superWideband
        case fullband
    }

    /// The raw byte.
    public var byte: UInt8

    @inlinable
    public init(byte: UInt8) { self.byte = byte }

    /// Reads the TOC byte from the first byte of `payload`.
    /// - Throws: ``RTPParseError/truncatedOpusPayload`` for an empty payload.
    public init(payload: ByteBuffer) throws(RTPParseError) {
        guard let byte = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else {
            throw .truncatedOpusPayload
        }
        self.byte = byte
    }

    /// The configuration number, 0...31.
    @inlinable
    public var configuration: UInt8 { byte >> 3 }
    /// The s bit: stereo.
    @inlinable
    public var isStereo: Bool { byte & 0x04 != 0 }
    /// The frame count code c, 0...3: 0 = one frame, 1 = two equal frames, 2 = two different frames,
    /// 3 = an arbitrary number of frames given in the next byte (RFC 6716 §3.2).
    @inlinable
    public var frameCountCode: UInt8 { byte & 0x03 }

    /// The coding mode (RFC 6716 §3.1 Table 2).
    public var mode: Mode {
        switch configuration {
        case 0...11: return .silk
        case 12...15: return .hybrid
        default: return .celt
        }
    }

    /// The audio bandwidth (RFC 6716 §3.1 Table 2).
    public var bandwidth: Bandwidth {
        switch configuration {
        case 0...3: return .narrowband
        case 4...7: return .mediumband
        case 8...11: return .wideband
        case 12...13: return .superWideband
        case 14...15: return .fullband
        case 16...19: return .narrowband
        case 20...23: return .wideband
        case 24...27: return .superWideband
        default: return .fullband
        }
    }

    /// The duration of each frame in microseconds (RFC 6716 §3.1 Table 2).
    public var frameDurationMicroseconds: Int {
        let index = Int(configuration & 0x03)
        switch mode {
        case .silk: return index == 3 ? 60_000 : 10_000 << index
        case .hybrid: return 10_000 << (index & 1)
        case .celt: return 2_500 << index
        }
    }

    /// The number of frames in the packet whose payload is `payload` (RFC 6716 §3.2): 1 or 2 for codes 0...2,
    /// the M field of the frame count byte for code 3.
    /// - Throws: ``RTPParseError/truncatedOpusPayload`` when code 3 lacks its frame count byte.
    public func frameCount(payload: ByteBuffer) throws(RTPParseError) -> Int {
        switch frameCountCode {
        case 0: return 1
        case 1, 2: return 2
        default:
            guard let countByte = payload.getInteger(at: payload.readerIndex + 1, as: UInt8.self) else {
                throw .truncatedOpusPayload
            }
            return Int(countByte & 0x3F)
        }
    }
}
