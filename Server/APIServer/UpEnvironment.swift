import Foundation
import ServerKit

/// What `meeting up` keeps in its data directory between runs: the generated deployment secret, so restarting
/// keeps sessions, tokens and TURN credentials valid.
public enum UpEnvironment {
    /// The secret in `<data>/secret`, created (64 hex digits from the CSPRNG, mode 0600) on first run.
    public static func secret(dataDirectory: String) throws(APIServerStartError) -> String {
        let path = (dataDirectory as NSString).appendingPathComponent("secret")
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
                let secret = existing.trimmingWhitespace()
                if secret.count >= 16 { return secret }
            }
            let secret = KeyedHashing.randomBytes(32).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8),
                attributes: [.posixPermissions: 0o600])
            else {
                throw APIServerStartError("--data \(dataDirectory): cannot write \(path)")
            }
            return secret
        } catch let error as APIServerStartError {
            throw error
        } catch {
            throw APIServerStartError("--data \(dataDirectory): \(error)")
        }
    }
}
