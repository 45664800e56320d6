import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why ``RawWebSocket`` failed.
public struct RawWebSocketError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A WebSocket handshake and everything the server sends until it closes, read from a plain TCP socket: what is
/// on the wire when the server refuses a connection right after the upgrade (text frame, then close frame).
public enum RawWebSocket {
    public struct Frame: Sendable {
        public var opcode: UInt8
        public var payload: [UInt8]
        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    /// Connects to 127.0.0.1:`port`, upgrades `path`, and returns the frames received until the server closed the
    /// connection — or, with `firstFrameOnly`, until the first frame arrived (at most `seconds`).
    public static func frames(port: Int, path: String, seconds: Int = 30, firstFrameOnly: Bool = false) async throws
        -> (status: String, frames: [Frame])
    {
        // Blocking socket calls stay off the cooperative thread pool (two threads on a two-core machine).
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try blockingFrames(port: port, path: path, seconds: seconds, firstFrameOnly: firstFrameOnly) })
            }
        }
    }

    static func blockingFrames(port: Int, path: String, seconds: Int, firstFrameOnly: Bool) throws -> (status: String, frames: [Frame]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawWebSocketError("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawWebSocketError("connect() failed") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            bytes += chunk[..<count]
            if let frames = parse(bytes),
                frames.frames.contains(where: { $0.opcode == 8 }) || (firstFrameOnly && !frames.frames.isEmpty)
            {
                return frames
            }
        }
        guard let parsed = parse(bytes) else { throw RawWebSocketError("no HTTP response: \(bytes.count) bytes") }
        return parsed
    }

    static func parse(_ bytes: [UInt8]) -> (status: String, frames: [Frame])? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            return nil
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = head.split(separator: "\r\n").first.map(String.init) ?? ""
        var frames: [Frame] = []
        var index = end + 4
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            var offset = index + 2
            if length == 126 {
                guard offset + 2 <= bytes.count else { break }
                length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                offset += 2
            }
            guard offset + length <= bytes.count else { break }
            frames.append(Frame(opcode: opcode, payload: Array(bytes[offset..<offset + length])))
            index = offset + length
        }
        return (status, frames)
    }
}

