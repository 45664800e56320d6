import APIStore
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import ServerKit

/// The apiserver's side of the registry (``RegistryMessage`` documents the protocol): checks a server's credential
/// at the WebSocket upgrade, records its announce and heartbeats in the database, and — in the background
/// worker — marks silent servers dead and moves meetings off dead sfuservers.
struct RegistryService: Sendable {
    let store: any Store
    let configuration: APIServerConfiguration
    let tokens: TokenAuthority
    let allocation: AllocationService
    let logger: Logger

    /// The server behind `Authorization: Bearer <server credential>`, or the reason it is refused.
    func authenticate(authorization: String?, now: Int64) throws(APIError) -> ServerClaims {
        guard let authorization, authorization.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "registry.credential-required",
                "Registering needs 'Authorization: Bearer <server credential>' made with the deployment's --secret.")
        }
        do {
            let claims = try tokens.server.verify(String(authorization.dropFirst("Bearer ".count)),
                as: ServerClaims.self, now: now, leeway: 30)
            guard (try? HostAndPort(parsing: claims.address)) != nil else {
                throw APIError(.badRequest, "registry.bad-address", "'\(claims.address)' is not host:port")
            }
            return claims
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.unauthorized, "registry.credential-refused",
                "The server credential was refused (\(error)); is --secret the same on this server and the apiserver?")
        }
    }

    /// Serves one registered server's WebSocket until it closes.
    func serve(_ claims: ServerClaims, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        var messages = inbound.messages(maxSize: 64 * 1024).makeAsyncIterator()
        guard case .text(let first)? = try await messages.next(),
            let announce = try? JSONDecoder().decode(RegistryMessage.self, from: Data(first.utf8)),
            announce.type == .announce, let capacity = announce.capacity, capacity >= 0
        else {
            try await send(.init(type: .error, code: "registry.announce-expected",
                message: "the first message must be {\"type\":\"announce\",\"capacity\":N,...}"), outbound)
            return
        }
        // A server is identified by its kind and public address: a restarted server takes its old row back.
        let kind = claims.kind.stored
        let server = try await store.registerServer(kind: kind, id: claims.address, address: claims.address,
            capacity: capacity, now: Date())
        try await record(kind: kind, id: server.id, load: announce.load ?? 0, draining: announce.draining ?? false)
        logger.info("registry: \(claims.kind.rawValue)server \(claims.address) registered, capacity \(capacity)")
        try await send(.init(type: .welcome, serverID: server.id,
            heartbeatSeconds: configuration.heartbeatInterval.secondsDouble,
            deadAfterSeconds: configuration.deadAfter.secondsDouble), outbound)
        while let message = try await messages.next() {
            guard case .text(let text) = message,
                let heartbeat = try? JSONDecoder().decode(RegistryMessage.self, from: Data(text.utf8)),
                heartbeat.type == .heartbeat
            else {
                try await send(.init(type: .error, code: "registry.heartbeat-expected",
                    message: "expected {\"type\":\"heartbeat\",\"load\":N}"), outbound)
                continue
            }
            try await record(kind: kind, id: server.id, load: heartbeat.load ?? 0, draining: heartbeat.draining ?? false)
        }
        logger.info("registry: \(claims.kind.rawValue)server \(claims.address) disconnected")
    }

    /// Stores a heartbeat, and the drain flag when it changes.
    private func record(kind: APIStore.ServerKind, id: String, load: Int, draining: Bool) async throws {
        _ = try await store.heartbeat(kind: kind, id: id, load: max(0, load), now: Date())
        guard let current = try await store.server(kind: kind, id: id) else { return }
        if draining && current.state == .alive {
            _ = try await store.setServerState(kind: kind, id: id, state: .draining)
        } else if !draining && current.state == .draining {
            _ = try await store.setServerState(kind: kind, id: id, state: .alive)
        }
    }

    private func send(_ message: RegistryMessage, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try JSONEncoder().encode(message), as: UTF8.self)))
    }

    /// Marks servers silent for longer than ``APIServerConfiguration/deadAfter`` dead (each newly dead server is
    /// handed to exactly one apiserver by the store), and reallocates the meetings of dead sfuservers; their
    /// participants see the meeting's `sfu` change and rejoin.
    func sweep(now: Date) async throws {
        let silentSince = now.addingTimeInterval(-configuration.deadAfter.secondsDouble)
        for server in try await store.markDeadServers(heartbeatBefore: silentSince) {
            logger.warning("registry: \(server.kind.rawValue)server \(server.address) silent since \(server.lastHeartbeatAt): marked dead")
            guard server.kind == .sfu else { continue }
            for meeting in try await store.meetings(sfuAddress: server.address) {
                let pending = try await store.setAllocationPending(meetingID: meeting.id,
                    error: "sfuserver \(server.address) died", nextAttemptAt: now, now: now)
                do {
                    guard let owner = try await store.user(id: pending.ownerID) else { continue }
                    let moved = try await allocation.allocate(pending, ownerEmail: owner.email, now: now)
                    logger.notice("meeting \(meeting.id) moved from dead sfuserver \(server.address) to \(moved.sfuAddress ?? "?")")
                } catch {
                    logger.warning("meeting \(meeting.id) left dead sfuserver \(server.address); new servers not ready: \(error)")
                }
            }
        }
    }
}
