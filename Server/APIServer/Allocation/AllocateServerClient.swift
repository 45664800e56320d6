import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import ServerKit

/// Which servers serve a meeting: the answer to `Kind=SFUTURN`.
public struct MediaServers: Sendable, Hashable, Codable {
    /// The sfuserver's `host:port` (its signaling WebSocket is `wss://<sfu>/rtc`).
    public var sfu: String
    /// The turnserver's `ip:port`.
    public var turn: String

    public init(sfu: String, turn: String) {
        self.sfu = sfu
        self.turn = turn
    }
}

/// Why the allocateserver gave no usable answer.
public enum AllocationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A non-200 answer: by the contract, "not ready yet" (the allocateserver may be starting a server).
    case notReady(status: Int)
    /// No answer in time, or no connection.
    case unreachable(String)
    /// A 200 whose body is not the contract's JSON with valid `host:port` values.
    case badAnswer(String)

    public var description: String {
        switch self {
        case .notReady(let status): "the allocateserver answered \(status): servers are not ready yet"
        case .unreachable(let reason): "the allocateserver could not be reached: \(reason)"
        case .badAnswer(let reason): "the allocateserver's answer is unusable: \(reason)"
        }
    }
}

/// The client side of the deployment doc's allocateserver contract:
///
/// - `GET <url>?Kind=SFUTURN&Email=<owner>&BeginAt=<unix s>&EndAt=<unix s>` → `{"sfu":"host:port","turn":"ip:port"}`
///   (`BeginAt=0&EndAt=0` for an instant meeting);
/// - `GET <url>?Kind=FS&Email=<requester>` → `{"fs":"host:port"}`;
/// - any other status: not ready yet.
///
/// `<url>` is `--allocateserver` as given; if it already has a query, the contract's parameters are appended with
/// `&`. The e-mail address is percent-encoded as a query component (RFC 3986 §3.4), keeping `@` readable.
public struct AllocateServerClient: Sendable {
    public let baseURL: String
    public let httpClient: HTTPClient
    public let timeout: TimeAmount

    public init(baseURL: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(5)) {
        self.baseURL = baseURL
        self.httpClient = httpClient
        self.timeout = timeout
    }

    /// The request URL for a meeting's sfu and turn servers. Instant meetings pass `nil` times (sent as 0/0).
    public func mediaURL(email: String, beginAt: Int64?, endAt: Int64?) -> String {
        url(query: "Kind=SFUTURN&Email=\(Self.encode(email))&BeginAt=\(beginAt ?? 0)&EndAt=\(endAt ?? 0)")
    }

    /// The request URL for a requester's fsserver.
    public func fileURL(email: String) -> String {
        url(query: "Kind=FS&Email=\(Self.encode(email))")
    }

    /// Asks for a meeting's sfuserver and turnserver.
    public func allocateMedia(email: String, beginAt: Int64?, endAt: Int64?) async throws(AllocationFailure)
        -> MediaServers
    {
        struct Answer: Decodable { var sfu: String; var turn: String }
        let answer: Answer = try await fetch(mediaURL(email: email, beginAt: beginAt, endAt: endAt))
        try Self.check(answer.sfu, field: "sfu")
        try Self.check(answer.turn, field: "turn")
        return MediaServers(sfu: answer.sfu, turn: answer.turn)
    }

    /// Asks for the fsserver a requester uploads minutes to.
    public func allocateFiles(email: String) async throws(AllocationFailure) -> String {
        struct Answer: Decodable { var fs: String }
        let answer: Answer = try await fetch(fileURL(email: email))
        try Self.check(answer.fs, field: "fs")
        return answer.fs
    }

    private func url(query: String) -> String {
        baseURL + (baseURL.contains("?") ? "&" : "?") + query
    }

    private func fetch<Answer: Decodable>(_ url: String) async throws(AllocationFailure) -> Answer {
        let body: ByteBuffer
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await httpClient.execute(request, timeout: timeout)
            guard response.status == .ok else {
                throw AllocationFailure.notReady(status: Int(response.status.code))
            }
            body = try await response.body.collect(upTo: 64 * 1024)
        } catch let failure as AllocationFailure {
            throw failure
        } catch {
            throw .unreachable("\(error)")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
        } catch {
            throw .badAnswer("expected the contract's JSON, got \(String(buffer: body).prefix(200)): \(error)")
        }
    }

    private static func check(_ value: String, field: String) throws(AllocationFailure) {
        do {
            _ = try HostAndPort(parsing: value)
        } catch {
            throw .badAnswer("\"\(field)\": \(error)")
        }
    }

    /// Percent-encodes a query component: unreserved characters (RFC 3986 §2.3) and `@` stay, the rest —
    /// including `+`, which form decoders would read as a space — become `%XX`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "@"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
