import APIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import ServerKit

/// The HTTP routes of API version 1 (docs/api.md is their reference; `APIDocumentationTests` holds the two in step).
struct APIRoutes: Sendable {
    let accounts: AccountService
    let meetings: MeetingService
    let registry: RegistryService
    let store: any Store
    let metrics: APIMetrics

    static func now() -> Date { Date() }

    /// Every route, as "METHOD path" — what docs/api.md must list.
    static let documented: [String] = [
        "GET /healthz", "GET /metrics", "GET /j/{id}",
        "POST /v1/signin/code", "POST /v1/signin/verify", "POST /v1/signout",
        "GET /v1/sessions", "DELETE /v1/sessions/{id}",
        "GET /v1/me", "PATCH /v1/me",
        "POST /v1/meetings", "POST /v1/meetings/instant", "GET /v1/meetings", "GET /v1/meetings/{id}",
        "PATCH /v1/meetings/{id}", "DELETE /v1/meetings/{id}",
        "POST /v1/meetings/{id}/join", "GET /v1/meetings/{id}/lobby", "GET /v1/meetings/{id}/lobby/{ticket}",
        "POST /v1/meetings/{id}/lobby/{ticket}/admit", "POST /v1/meetings/{id}/lobby/{ticket}/deny",
        "POST /v1/meetings/{id}/files",
        "GET /v1/servers", "GET /v1/registry",
    ]

    func signedIn(_ request: Request) async throws -> SignedIn {
        guard let caller = try await accounts.authenticate(authorization: request.headers[.authorization],
            now: Self.now())
        else { throw APIError.signInRequired }
        return caller
    }

    func register(on router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ -> HealthView in
            // Answers only if the database does.
            _ = try await store.servers(kind: .sfu)
            return HealthView(status: "ok")
        }
        router.get("/metrics") { _, _ -> Response in
            let text = try await metrics.render(store: store)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/j/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            let link = "\(meetings.configuration.publicURL)/j/\(id)"
            let text = """
                Meeting \(id)

                Join from a terminal:  meetclient join \(link)
                Join through the API:  POST \(meetings.configuration.publicURL)/v1/meetings/\(id)/join

                """
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }

        let v1 = router.group("v1")
        v1.post("signin/code") { request, context -> EditedResponse<CodeRequested> in
            let body = try await request.decode(as: CodeRequest.self, context: context)
            let expiresAt = try await accounts.requestCode(email: body.email, clientIP: context.clientIP, now: Self.now())
            return EditedResponse(status: .accepted,
                response: CodeRequested(sent: true, expiresAt: expiresAt.unixSeconds))
        }
        v1.post("signin/verify") { request, context -> SignedInView in
            let body = try await request.decode(as: VerifyRequest.self, context: context)
            let (token, session, user) = try await accounts.verifyCode(email: body.email, code: body.code,
                clientIP: context.clientIP, userAgent: request.headers[.userAgent] ?? "", now: Self.now())
            return SignedInView(token: token, sessionID: session.id, expiresAt: session.expiresAt.unixSeconds,
                user: UserView(user))
        }
        v1.post("signout") { request, _ -> HTTPResponse.Status in
            let caller = try await signedIn(request)
            _ = try await store.revokeSession(id: caller.session.id, userID: caller.user.id, now: Self.now())
            return .noContent
        }
        v1.get("sessions") { request, _ -> SessionList in
            let caller = try await signedIn(request)
            let sessions = try await store.sessions(userID: caller.user.id, now: Self.now())
            return SessionList(sessions: sessions.map {
                SessionView(id: $0.id, createdAt: $0.createdAt.unixSeconds, expiresAt: $0.expiresAt.unixSeconds,
                    userAgent: $0.userAgent, current: $0.id == caller.session.id)
            })
        }
        v1.delete("sessions/:id") { request, context -> HTTPResponse.Status in
            let caller = try await signedIn(request)
            let id = try context.parameters.require("id")
            guard try await store.revokeSession(id: id, userID: caller.user.id, now: Self.now()) else {
                throw APIError(.notFound, "session.not-found", "You have no session with this id.")
            }
            return .noContent
        }
        v1.get("me") { request, _ -> UserView in
            UserView(try await signedIn(request).user)
        }
        v1.patch("me") { request, context -> UserView in
            let user = try await signedIn(request).user
            let body = try await request.decode(as: MeUpdate.self, context: context)
            let name = try MeetingService.displayName(body.displayName)
            return UserView(try await store.updateUser(id: user.id, displayName: name, isAdmin: nil))
        }

        v1.post("meetings") { request, context -> EditedResponse<MeetingView> in
            let caller = try await signedIn(request)
            let body = try await request.decode(as: MeetingInput.self, context: context)
            let meeting = try await meetings.create(body, owner: caller.user, now: Self.now())
            return EditedResponse(status: .created, response: try await meetings.view(meeting, role: .host))
        }
        v1.post("meetings/instant") { request, _ -> MeetingView in
            let caller = try await signedIn(request)
            let meeting = try await meetings.instant(owner: caller.user, now: Self.now())
            return try await meetings.view(meeting, role: .host)
        }
        v1.get("meetings") { request, _ -> MeetingList in
            let caller = try await signedIn(request)
            var views: [MeetingView] = []
            let owned = try await store.meetings(ownerID: caller.user.id, includeCancelled: false)
            let invited = try await store.meetings(inviteeEmail: caller.user.email, includeCancelled: false)
            for meeting in owned + invited.filter({ meeting in !owned.contains { $0.id == meeting.id } }) {
                let role = try await meetings.role(of: caller.user, in: meeting) ?? .participant
                views.append(try await meetings.view(meeting, role: role))
            }
            return MeetingList(meetings: views)
        }
        v1.get("meetings/:id") { request, context -> MeetingView in
            let caller = try await signedIn(request)
            let (meeting, role) = try await meetings.visible(try context.parameters.require("id"), to: caller.user)
            return try await meetings.view(meeting, role: role)
        }
        v1.patch("meetings/:id") { request, context -> MeetingView in
            let caller = try await signedIn(request)
            let body = try await request.decode(as: MeetingInput.self, context: context)
            let meeting = try await meetings.edit(try context.parameters.require("id"), body, by: caller.user,
                now: Self.now())
            let role = try await meetings.role(of: caller.user, in: meeting) ?? .participant
            return try await meetings.view(meeting, role: role)
        }
        v1.delete("meetings/:id") { request, context -> HTTPResponse.Status in
            let caller = try await signedIn(request)
            try await meetings.cancel(try context.parameters.require("id"), by: caller.user, now: Self.now())
            return .noContent
        }
        v1.post("meetings/:id/join") { request, context -> Response in
            let caller = try await accounts.authenticate(authorization: request.headers[.authorization], now: Self.now())
            let body = (try? await request.decode(as: JoinRequest.self, context: context))
                ?? JoinRequest(displayName: nil, passcode: nil)
            let outcome = try await meetings.join(try context.parameters.require("id"), body, user: caller?.user,
                clientIP: context.clientIP, now: Self.now())
            metrics.joins.add(1)
            return try respond(outcome, request: request, context: context)
        }
        v1.get("meetings/:id/lobby") { request, context -> LobbyList in
            let caller = try await signedIn(request)
            let entries = try await meetings.lobby(try context.parameters.require("id"), by: caller.user)
            return LobbyList(entries: entries.map {
                LobbyEntryView(ticket: $0.id, displayName: $0.displayName, signedIn: $0.userID != nil,
                    state: $0.state.rawValue, createdAt: $0.createdAt.unixSeconds)
            })
        }
        v1.get("meetings/:id/lobby/:ticket") { request, context -> Response in
            let outcome = try await meetings.lobbyStatus(try context.parameters.require("id"),
                ticket: try context.parameters.require("ticket"), now: Self.now())
            return try respond(outcome, request: request, context: context)
        }
        v1.post("meetings/:id/lobby/:ticket/admit") { request, context -> HTTPResponse.Status in
            let caller = try await signedIn(request)
            try await meetings.decide(try context.parameters.require("id"),
                ticket: try context.parameters.require("ticket"), admit: true, by: caller.user, now: Self.now())
            return .noContent
        }
        v1.post("meetings/:id/lobby/:ticket/deny") { request, context -> HTTPResponse.Status in
            let caller = try await signedIn(request)
            try await meetings.decide(try context.parameters.require("id"),
                ticket: try context.parameters.require("ticket"), admit: false, by: caller.user, now: Self.now())
            return .noContent
        }
        v1.post("meetings/:id/files") { request, context -> FileAccess in
            let caller = try await signedIn(request)
            return try await meetings.files(try context.parameters.require("id"), user: caller.user, now: Self.now())
        }
        v1.get("servers") { request, _ -> ServerList in
            let caller = try await signedIn(request)
            guard caller.user.isAdmin else {
                throw APIError(.forbidden, "admin.required", "Only administrators (--admin) see the server registry.")
            }
            return ServerList(servers: try await store.servers(kind: nil).map {
                ServerView(id: $0.id, kind: ServerKind($0.kind), address: $0.address, capacity: $0.capacity,
                    load: $0.load, state: $0.state.rawValue, lastHeartbeatAt: $0.lastHeartbeatAt.unixSeconds)
            })
        }
        // Reached only when the WebSocket upgrade was declined: say why.
        v1.get("registry") { request, _ -> Response in
            _ = try registry.authenticate(authorization: request.headers[.authorization], now: Self.now().unixSeconds)
            throw APIError(.badRequest, "registry.websocket-required",
                "The registry speaks WebSocket: send an HTTP/1.1 Upgrade request.")
        }
    }

    /// The WebSocket router: only the registry.
    func registerWebSockets(on router: Router<APIRequestContext>) {
        let registry = self.registry
        router.ws(RouterPath(stringLiteral: RegistryMessage.path)) { request, _ in
            do {
                _ = try registry.authenticate(authorization: request.headers[.authorization], now: Self.now().unixSeconds)
                return .upgrade([:])
            } catch {
                return .dontUpgrade
            }
        } onUpgrade: { inbound, outbound, context in
            let claims = try registry.authenticate(authorization: context.request.headers[.authorization],
                now: Self.now().unixSeconds)
            try await registry.serve(claims, inbound: inbound, outbound: outbound)
        }
    }

    private func respond(_ outcome: MeetingService.JoinOutcome, request: Request, context: APIRequestContext)
        throws -> Response
    {
        switch outcome {
        case .ready(let answer):
            return try answer.response(from: request, context: context)
        case .waiting(let wait):
            var response = try wait.response(from: request, context: context)
            response.status = .accepted
            return response
        }
    }
}
