/// What a key derived from the deployment's `--secret` is for. Each purpose has its own key (DESIGN.md §3), so a
/// key that leaks from one server role (say, an fsserver's disk) cannot mint tokens for another (join tokens for
/// every sfuserver).
public enum KeyPurpose: String, Sendable, CaseIterable {
    /// Join tokens: minted by the apiserver, verified by sfuservers.
    case join
    /// TURN REST credentials: minted by the apiserver, verified by turnservers (coturn-compatible).
    case turn
    /// File tokens: minted by the apiserver, verified by fsservers.
    case fs
    /// Server credentials: sfu/turn/fs servers prove to the apiserver's registry that they belong to the deployment.
    case server
}

/// The per-purpose keys of one deployment: HKDF-SHA256 (RFC 5869) with input keying material the `--secret`'s
/// UTF-8 bytes, no salt, `info` the purpose's name ("join", "turn", "fs", "server"), 32 bytes each.
///
/// The secret itself is never used as a key and never stored here; only the derived keys are kept.
public struct DeploymentKeys: Sendable, Hashable {
    public let join: [UInt8]
    public let turn: [UInt8]
    public let fs: [UInt8]
    public let server: [UInt8]

    /// Derives every purpose's key from `--secret`.
    public init(secret: String) {
        join = Self.derive(.join, fromSecret: secret)
        turn = Self.derive(.turn, fromSecret: secret)
        fs = Self.derive(.fs, fromSecret: secret)
        server = Self.derive(.server, fromSecret: secret)
    }

    /// The key for `purpose`.
    public func key(for purpose: KeyPurpose) -> [UInt8] {
        switch purpose {
        case .join: join
        case .turn: turn
        case .fs: fs
        case .server: server
        }
    }

    /// HKDF-SHA256(ikm: UTF-8 of `secret`, salt: none, info: `purpose.rawValue`, L = 32).
    public static func derive(_ purpose: KeyPurpose, fromSecret secret: String) -> [UInt8] {
        KeyedHashing.hkdfSHA256(inputKey: Array(secret.utf8), info: Array(purpose.rawValue.utf8), length: 32)
    }
}
