import Foundation

/// How one kind of meeting (scheduled or instant) gets its sfuserver.
public enum SFUPolicy: Sendable, Hashable {
    /// A fixed pool. Scheduled meetings: one server per meeting, never shared by overlapping meetings. Instant
    /// meetings: a shared pool, each owner kept on one server while their reservation lives, new owners on the
    /// server with the fewest live reservations.
    case pool([String])
    /// The least-loaded alive sfuserver in the apiserver's registry (read from the shared database).
    case leastLoaded
    /// Created on demand by running ``ProvisioningSettings/create`` and released by ``ProvisioningSettings/delete``.
    case provision(ProvisioningSettings)
}

/// The commands and times of on-demand provisioning (deployment doc, "allocateserver": the second schemes).
public struct ProvisioningSettings: Sendable, Hashable {
    /// argv of the command that creates an sfuserver; it prints the new server's `host:port` as its last stdout line.
    public var create: [String]
    /// argv of the command that deletes one; it gets the address in `MEETING_SFU`.
    public var delete: [String]
    /// Longest a command may run before it is killed.
    public var commandTimeout: Duration
    /// How long before `BeginAt` a scheduled meeting's server is created (doc: 2 h).
    public var createBefore: Int64
    /// How long after `EndAt` a scheduled meeting's server is deleted (doc: 2 h).
    public var deleteAfter: Int64
    /// How long an instant meeting's server lives after its last allocation (doc: 3 h).
    public var instantLifetime: Int64
    /// Wait before retrying a create command that failed.
    public var retryAfter: Int64

    public init(create: [String], delete: [String], commandTimeout: Duration = .seconds(900),
        createBefore: Int64 = 7200, deleteAfter: Int64 = 7200, instantLifetime: Int64 = 3 * 3600,
        retryAfter: Int64 = 60)
    {
        self.create = create
        self.delete = delete
        self.commandTimeout = commandTimeout
        self.createBefore = createBefore
        self.deleteAfter = deleteAfter
        self.instantLifetime = instantLifetime
        self.retryAfter = retryAfter
    }
}

/// Where the apiserver's registry is read: its database (SQLite file or MariaDB), shared with the apiserver.
public enum RegistrySource: Sendable, Hashable {
    case sqlite(path: String)
    case mariaDB(host: String, port: UInt16, user: String, password: String, database: String)
}

/// The allocateserver's configuration file (JSON). See docs/allocateserver.md for the fields and examples.
public struct AllocatorConfiguration: Sendable, Hashable {
    /// SQLite file holding reservations, so a restart loses none.
    public var stateDatabase: String
    /// turnservers (`ip:port`), handed out by the owner's hash; empty means least-loaded from ``registry``.
    public var turn: [String]
    /// fsservers (`host:port`), handed out by the requester's hash; empty means least-loaded from ``registry``.
    public var fs: [String]
    public var scheduled: SFUPolicy
    public var instant: SFUPolicy
    public var registry: RegistrySource?
    /// How long a reservation of a pool or registry server for an instant meeting lives after its last use.
    public var instantLifetime: Int64
    /// Seconds between timer ticks (provisioning and releases are decided on ticks).
    public var tickSeconds: Int64

    public init(stateDatabase: String, turn: [String], fs: [String], scheduled: SFUPolicy, instant: SFUPolicy,
        registry: RegistrySource? = nil, instantLifetime: Int64 = 3 * 3600, tickSeconds: Int64 = 5)
    {
        self.stateDatabase = stateDatabase
        self.turn = turn
        self.fs = fs
        self.scheduled = scheduled
        self.instant = instant
        self.registry = registry
        self.instantLifetime = instantLifetime
        self.tickSeconds = tickSeconds
    }

    /// Reads and validates a configuration file. Relative `stateDatabase` and registry paths are resolved against
    /// the file's directory.
    public static func load(path: String) throws(AllocatorError) -> AllocatorConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .badConfiguration(field: "(file)", reason: "cannot read \(path): \(error.localizedDescription)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(data, relativeTo: directory)
    }

    /// Parses and validates configuration JSON; every error names the offending field.
    public static func parse(_ data: Data, relativeTo directory: String) throws(AllocatorError) -> AllocatorConfiguration {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .badConfiguration(field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let root = json as? [String: Any] else {
            throw .badConfiguration(field: "(file)", reason: "must be a JSON object")
        }
        let object = JSONObject(root, path: "")
        try object.rejectUnknown(["state", "turn", "fs", "scheduled", "instant", "registry", "instantLifetimeSeconds",
            "tickSeconds"])
        let state = try object.string("state")
        var registry: RegistrySource?
        if let registryObject = try object.optionalObject("registry") {
            registry = try parseRegistry(registryObject, relativeTo: directory)
        }
        let turn = try object.optionalAddresses("turn") ?? []
        let fs = try object.optionalAddresses("fs") ?? []
        if registry == nil {
            if turn.isEmpty { throw .badConfiguration(field: "turn", reason: "list at least one ip:port (or configure \"registry\")") }
            if fs.isEmpty { throw .badConfiguration(field: "fs", reason: "list at least one host:port (or configure \"registry\")") }
        }
        let scheduled = try parsePolicy(try object.object("scheduled"))
        let instant = try parsePolicy(try object.object("instant"))
        for (name, policy) in [("scheduled", scheduled), ("instant", instant)] {
            if case .leastLoaded = policy, registry == nil {
                throw .badConfiguration(field: "\(name).policy", reason: "\"leastLoaded\" needs \"registry\"")
            }
        }
        let lifetime = try object.optionalInteger("instantLifetimeSeconds", range: 60...(30 * 86400)) ?? 3 * 3600
        let tick = try object.optionalInteger("tickSeconds", range: 1...3600) ?? 5
        return AllocatorConfiguration(stateDatabase: resolve(state, directory), turn: turn, fs: fs,
            scheduled: scheduled, instant: instant, registry: registry, instantLifetime: lifetime, tickSeconds: tick)
    }

    static func resolve(_ path: String, _ directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    static func parseRegistry(_ object: JSONObject, relativeTo directory: String) throws(AllocatorError) -> RegistrySource {
        try object.rejectUnknown(["sqlite", "mysqlAddress", "mysqlUser", "mysqlPassword", "mysqlDatabase"])
        if let path = try object.optionalString("sqlite") {
            return .sqlite(path: resolve(path, directory))
        }
        let address = try object.address("mysqlAddress")
        return .mariaDB(host: address.host, port: address.port, user: try object.string("mysqlUser"),
            password: try object.optionalString("mysqlPassword") ?? "", database: try object.string("mysqlDatabase"))
    }

    static func parsePolicy(_ object: JSONObject) throws(AllocatorError) -> SFUPolicy {
        let name = try object.string("policy")
        switch name {
        case "pool":
            try object.rejectUnknown(["policy", "sfu"])
            guard let pool = try object.optionalAddresses("sfu"), !pool.isEmpty else {
                throw .badConfiguration(field: object.field("sfu"), reason: "a pool needs at least one host:port")
            }
            return .pool(pool)
        case "leastLoaded":
            try object.rejectUnknown(["policy"])
            return .leastLoaded
        case "provision":
            try object.rejectUnknown(["policy", "create", "delete", "commandTimeoutSeconds", "createBeforeSeconds",
                "deleteAfterSeconds", "instantLifetimeSeconds", "retrySeconds"])
            return .provision(ProvisioningSettings(
                create: try object.argv("create"), delete: try object.argv("delete"),
                commandTimeout: .seconds(try object.optionalInteger("commandTimeoutSeconds", range: 1...86400) ?? 900),
                createBefore: try object.optionalInteger("createBeforeSeconds", range: 0...(30 * 86400)) ?? 7200,
                deleteAfter: try object.optionalInteger("deleteAfterSeconds", range: 0...(30 * 86400)) ?? 7200,
                instantLifetime: try object.optionalInteger("instantLifetimeSeconds", range: 60...(30 * 86400))
                    ?? 3 * 3600,
                retryAfter: try object.optionalInteger("retrySeconds", range: 1...86400) ?? 60))
        default:
            throw .badConfiguration(field: object.field("policy"),
                reason: "\"\(name)\" is not one of \"pool\", \"leastLoaded\", \"provision\"")
        }
    }
}

/// A JSON object with its path, so each validation error names the field it is about.
struct JSONObject {
    let values: [String: Any]
    let path: String

    init(_ values: [String: Any], path: String) {
        self.values = values
        self.path = path
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func rejectUnknown(_ known: Set<String>) throws(AllocatorError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw .badConfiguration(field: field(key), reason: "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func optionalString(_ key: String) throws(AllocatorError) -> String? {
        guard let value = values[key] else { return nil }
        guard let text = value as? String, !text.isEmpty else {
            throw .badConfiguration(field: field(key), reason: "must be a non-empty string")
        }
        return text
    }

    func string(_ key: String) throws(AllocatorError) -> String {
        guard let text = try optionalString(key) else { throw .badConfiguration(field: field(key), reason: "is required") }
        return text
    }

    func optionalInteger(_ key: String, range: ClosedRange<Int64>) throws(AllocatorError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard !(value is Bool), let number = value as? NSNumber,
            let integer = Int64(exactly: number.doubleValue), range.contains(integer)
        else {
            throw .badConfiguration(field: field(key), reason: "must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return integer
    }

    func optionalObject(_ key: String) throws(AllocatorError) -> JSONObject? {
        guard let value = values[key] else { return nil }
        guard let object = value as? [String: Any] else {
            throw .badConfiguration(field: field(key), reason: "must be a JSON object")
        }
        return JSONObject(object, path: field(key))
    }

    func object(_ key: String) throws(AllocatorError) -> JSONObject {
        guard let object = try optionalObject(key) else { throw .badConfiguration(field: field(key), reason: "is required") }
        return object
    }

    func address(_ key: String) throws(AllocatorError) -> (host: String, port: UInt16) {
        let text = try string(key)
        guard let parsed = ServerAddress.parse(text) else {
            throw .badConfiguration(field: field(key), reason: "\"\(text)\" is not host:port")
        }
        return parsed
    }

    func optionalAddresses(_ key: String) throws(AllocatorError) -> [String]? {
        guard let value = values[key] else { return nil }
        guard let list = value as? [Any] else { throw .badConfiguration(field: field(key), reason: "must be a list") }
        var out: [String] = []
        for (index, item) in list.enumerated() {
            guard let text = item as? String, ServerAddress.parse(text) != nil else {
                throw .badConfiguration(field: "\(field(key))[\(index)]", reason: "must be a \"host:port\" string")
            }
            if out.contains(text) {
                throw .badConfiguration(field: "\(field(key))[\(index)]", reason: "\(text) is listed twice")
            }
            out.append(text)
        }
        return out
    }

    func argv(_ key: String) throws(AllocatorError) -> [String] {
        guard let list = values[key] as? [Any], !list.isEmpty else {
            throw .badConfiguration(field: field(key), reason: "must be a non-empty argv list, e.g. [\"/usr/local/bin/make-sfu\", \"create\"]")
        }
        var out: [String] = []
        for (index, item) in list.enumerated() {
            guard let text = item as? String, !text.isEmpty else {
                throw .badConfiguration(field: "\(field(key))[\(index)]", reason: "must be a non-empty string")
            }
            out.append(text)
        }
        guard out[0].hasPrefix("/") else {
            throw .badConfiguration(field: "\(field(key))[0]", reason: "the program must be an absolute path")
        }
        return out
    }
}

/// `host:port` checks shared by the configuration and the provisioning command's output.
enum ServerAddress {
    static func parse(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.count <= 253, let port = UInt16(text[text.index(after: colon)...]), port > 0,
            host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" })
        else { return nil }
        return (host, port)
    }
}
