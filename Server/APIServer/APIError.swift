import Foundation
import HTTPTypes
import Hummingbird
import ServerKit

/// Every error the HTTP API answers, with one body shape (docs/api.md "Errors"):
///
/// ```json
/// {"error": {"code": "meeting.not-found", "message": "No meeting has this id.", "retryAfterSeconds": 3}}
/// ```
///
/// `code` is stable for programs; `message` is for people; `retryAfterSeconds` appears when waiting helps (rate
/// limits, servers being prepared) and is also sent as the `Retry-After` header (RFC 9110 §10.2.3).
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    struct Body: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
            var retryAfterSeconds: Int?
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message, retryAfterSeconds: retryAfterSeconds))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal","message":""}}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: The codes (docs/api.md lists each).

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "request.invalid", message) }
    static let notFound = APIError(.notFound, "route.not-found", "No such API route.")
    static let signInRequired = APIError(.unauthorized, "session.required",
        "Sign in first: send 'Authorization: Bearer <session token>'.")
    static let sessionInvalid = APIError(.unauthorized, "session.invalid",
        "This session token is unknown, expired or revoked; sign in again.")
    static func codeInvalid(attemptsLeft: Int) -> APIError {
        APIError(.unauthorized, "signin.code-invalid",
            "That code is wrong or has expired. \(attemptsLeft) attempt\(attemptsLeft == 1 ? "" : "s") left for this code.")
    }
    static func rateLimited(_ what: String, retryAfter: Int) -> APIError {
        APIError(.tooManyRequests, "rate-limited", "Too many \(what); try again in \(retryAfter) s.",
            retryAfterSeconds: retryAfter)
    }
    static let meetingNotFound = APIError(.notFound, "meeting.not-found", "No meeting has this id.")
    static let forbidden = APIError(.forbidden, "meeting.forbidden", "Only the meeting's host can do that.")
    static let meetingCancelled = APIError(.gone, "meeting.cancelled", "This meeting was cancelled.")
    static let passcodeRequired = APIError(.forbidden, "meeting.passcode",
        "This meeting needs its passcode; it is in the invitation.")
    static let guestsNotAllowed = APIError(.forbidden, "meeting.guests-not-allowed",
        "This meeting admits only signed-in members of the organisation.")
    static func serversPreparing(retryAfter: Int) -> APIError {
        APIError(.serviceUnavailable, "servers.preparing",
            "The servers for this meeting are being prepared; wait a moment and try again.",
            retryAfterSeconds: retryAfter)
    }
    static func noServers(_ kind: String) -> APIError {
        APIError(.serviceUnavailable, "servers.none",
            "No \(kind) server is registered and alive; start one (meeting \(kind)server --apiserver …).",
            retryAfterSeconds: 5)
    }
    static func internalError(_ message: String) -> APIError {
        APIError(.internalServerError, "internal", message)
    }
}
