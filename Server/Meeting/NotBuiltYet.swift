import ArgumentParser
import ServerKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints that a subcommand is not built yet and ends with status 2; never pretends to serve.
func exitNotBuiltYet(command: String, tracking: String) throws -> Never {
    writeToStandardError(ComponentStatus.notBuiltMessage(command: command, tracking: tracking) + "\n")
    throw ExitCode(ComponentStatus.notBuiltExitStatus)
}

/// Writes a message to standard error (file descriptor 2), which the C `stderr` global cannot be used for under
/// strict concurrency.
func writeToStandardError(_ message: String) {
    var remaining = Array(message.utf8)[...]
    while !remaining.isEmpty {
        let written = remaining.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        remaining = remaining.dropFirst(written)
    }
}

/// Checks a `host:port` flag value with ServerKit's parser and turns its error into a usage error.
func validateHostAndPort(_ value: String?, flag: String, defaultPort: UInt16? = nil) throws {
    guard let value else { return }
    do {
        _ = try HostAndPort(parsing: value, defaultPort: defaultPort)
    } catch {
        throw ValidationError("\(flag): \(error)")
    }
}

/// Checks that a certificate and its key are given together.
func validateCertificatePair(cert: String?, certkey: String?) throws {
    if (cert == nil) != (certkey == nil) {
        throw ValidationError("--cert and --certkey go together: give both, or neither to obtain a certificate by ACME")
    }
}
