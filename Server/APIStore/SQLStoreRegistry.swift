import Database
import Foundation

/// The registry of sfu/turn/fs servers.
extension SQLStore {
    static let serverColumns = "kind, id, address, capacity, current_load, state, registered_at, last_heartbeat_at"

    static func server(_ row: DatabaseRow) throws(DatabaseError) -> RegisteredServer {
        RegisteredServer(kind: try row.enumeration("kind", as: ServerKind.self), id: try row.text("id"),
            address: try row.text("address"), capacity: try row.int("capacity"), load: try row.int("current_load"),
            state: try row.enumeration("state", as: ServerState.self), registeredAt: try row.date("registered_at"),
            lastHeartbeatAt: try row.date("last_heartbeat_at"))
    }

    public func registerServer(kind: ServerKind, id: String, address: String, capacity: Int, now: Date)
        async throws(StoreError) -> RegisteredServer
    {
        let server = RegisteredServer(kind: kind, id: id, address: address, capacity: capacity, load: 0,
            state: .alive, registeredAt: now.storePrecision, lastHeartbeatAt: now.storePrecision)
        let sql = dialect.upsert(into: "servers",
            columns: ["kind", "id", "address", "capacity", "current_load", "state", "registered_at", "last_heartbeat_at"],
            key: ["kind", "id"],
            assignments: [
                ("address", "new(address)"), ("capacity", "new(capacity)"), ("current_load", "new(current_load)"),
                ("state", "new(state)"), ("registered_at", "new(registered_at)"),
                ("last_heartbeat_at", "new(last_heartbeat_at)"),
            ])
        try await write { connection in
            try connection.execute(sql, [.text(kind.rawValue), .text(id), .text(address), .int(capacity), .int(0),
                .text(ServerState.alive.rawValue), .date(server.registeredAt), .date(server.lastHeartbeatAt)])
        }
        return server
    }

    public func heartbeat(kind: ServerKind, id: String, load: Int, now: Date) async throws(StoreError) -> Bool {
        try await write { connection in
            try connection.execute("""
                UPDATE servers SET current_load = ?, last_heartbeat_at = ?,
                  state = CASE WHEN state = ? THEN ? ELSE state END
                WHERE kind = ? AND id = ?
                """,
                [.int(load), .date(now), .text(ServerState.dead.rawValue), .text(ServerState.alive.rawValue),
                    .text(kind.rawValue), .text(id)]).affectedRows == 1
        }
    }

    public func setServerState(kind: ServerKind, id: String, state: ServerState) async throws(StoreError) -> Bool {
        try await write { connection in
            try connection.execute("UPDATE servers SET state = ? WHERE kind = ? AND id = ?",
                [.text(state.rawValue), .text(kind.rawValue), .text(id)]).affectedRows == 1
        }
    }

    public func server(kind: ServerKind, id: String) async throws(StoreError) -> RegisteredServer? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.serverColumns) FROM servers WHERE kind = ? AND id = ?",
                [.text(kind.rawValue), .text(id)]).map(Self.server)
        }
    }

    public func servers(kind: ServerKind?) async throws(StoreError) -> [RegisteredServer] {
        try await read { connection in
            try connection.query("""
                SELECT \(Self.serverColumns) FROM servers WHERE (? IS NULL OR kind = ?) ORDER BY kind, id
                """, [.optionalText(kind?.rawValue), .optionalText(kind?.rawValue)]).map(Self.server)
        }
    }

    public func markDeadServers(heartbeatBefore: Date) async throws(StoreError) -> [RegisteredServer] {
        try await write { connection in
            let stale = try connection.query("""
                SELECT \(Self.serverColumns) FROM servers WHERE state IN (?, ?) AND last_heartbeat_at < ? ORDER BY kind, id
                """, [.text(ServerState.alive.rawValue), .text(ServerState.draining.rawValue), .date(heartbeatBefore)])
            var dead: [RegisteredServer] = []
            for row in stale {
                var server = try Self.server(row)
                let result = try connection.execute("""
                    UPDATE servers SET state = ? WHERE kind = ? AND id = ? AND state IN (?, ?) AND last_heartbeat_at < ?
                    """,
                    [.text(ServerState.dead.rawValue), .text(server.kind.rawValue), .text(server.id),
                        .text(ServerState.alive.rawValue), .text(ServerState.draining.rawValue), .date(heartbeatBefore)])
                if result.affectedRows == 1 {
                    server.state = .dead
                    dead.append(server)
                }
            }
            return dead
        }
    }

    public func leastLoadedServer(kind: ServerKind) async throws(StoreError) -> RegisteredServer? {
        try await read { connection in
            // Compare load/capacity without division: a/b < c/d ⇔ a·d < c·b for positive b, d.
            let candidates = try connection.query("""
                SELECT \(Self.serverColumns) FROM servers
                WHERE kind = ? AND state = ? AND capacity > 0 AND current_load < capacity ORDER BY id
                """, [.text(kind.rawValue), .text(ServerState.alive.rawValue)]).map(Self.server)
            return candidates.min { left, right in
                left.load * right.capacity < right.load * left.capacity
            }
        }
    }
}
