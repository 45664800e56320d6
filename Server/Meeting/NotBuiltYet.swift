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

/// Writes a line to standard output (file descriptor 1) at once, unbuffered, so that a terminal or a pipe (`make
/// up | tee`) sees it immediately.
func writeLine(_ message: String) {
    writeAll(message + "\n", to: 1)
}

/// Writes a message to standard error (file descriptor 2), which the C `stderr` global cannot be used for under
/// strict concurrency.
func writeToStandardError(_ message: String) {
    writeAll(message, to: 2)
}

private func writeAll(_ message: String, to descriptor: Int32) {
    var remaining = Array(message.utf8)[...]
    while !remaining.isEmpty {
        let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
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
