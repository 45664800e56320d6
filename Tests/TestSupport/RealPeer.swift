import Foundation

/// Finding the real peers the interop tests talk to (programs we did not write: coturn's clients, aiortc, Chromium,
/// MariaDB, Pebble, aiosmtpd …) and deciding what a missing one means.
///
/// Outside CI a missing peer disables its suite with a message saying what to install. Under `CI=true` it never
/// does: `.ci/run` installs every peer, so a missing one is a broken environment and the suite must run and fail.
/// Use it as `@Suite("…", .enabled(if: RealPeer.available(RealPeer.executable("mariadbd") != nil), "install mariadb-server"))`.
public enum RealPeer {
    /// Whether this run is CI (`CI=true`), where a missing peer is a failure, never a skip.
    public static let isCI: Bool = ProcessInfo.processInfo.environment["CI"] == "true"

    /// `true` when the suite should run: the peer is there, or this is CI (so its absence fails loudly).
    public static func available(_ peerIsPresent: Bool) -> Bool {
        peerIsPresent || isCI
    }

    /// The absolute path of an executable found on `PATH` (plus /usr/sbin and /usr/local/sbin, where Debian puts
    /// daemons such as `mariadbd` that a non-login PATH may lack), or `nil`.
    public static func executable(_ name: String) -> String? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"]
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether `python3 -c "import <module>"` succeeds (aiortc, aiosmtpd, selenium …).
    public static func pythonModule(_ module: String) -> Bool {
        guard let python = executable("python3") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }
}
