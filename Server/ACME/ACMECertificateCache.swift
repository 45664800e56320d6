import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The persistent state of ACME in one directory, so a restart neither creates a new account nor orders a
/// certificate it already has (Let's Encrypt allows 50 certificates per registered domain per week):
///
///     <directory>/account-key.pem              the account key (ES256), created once
///     <directory>/<first domain>/key.pem       the certificate's private key
///     <directory>/<first domain>/chain.pem     the certificate chain as issued, leaf first
///
/// Private keys are written with mode 0600, and every file is written to a temporary name and renamed, so a crash
/// never leaves half a key.
public struct ACMECertificateCache: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The account key, created and stored on first use.
    public func accountKey() throws(ACMEError) -> ACMEKey {
        let file = directory.appendingPathComponent("account-key.pem")
        if let text = try read(file) { return try ACMEKey(pem: text) }
        let key = try ACMEKey.generate()
        try write(key.pem, to: file, secret: true)
        return key
    }

    /// The stored certificate for `domains`, if there is one whose key matches and whose names are the same list.
    public func certificate(for domains: [String]) throws(ACMEError) -> ACMECertificate? {
        let folder = try folder(for: domains)
        guard let chain = try read(folder.appendingPathComponent("chain.pem")),
            let keyText = try read(folder.appendingPathComponent("key.pem")),
            let names = try read(folder.appendingPathComponent("domains")),
            names == domains.joined(separator: "\n")
        else { return nil }
        let key = try ACMEKey(pem: keyText)
        return ACMECertificate(chainPEM: chain, key: key, info: try ACMECertificateInfo(chainPEM: chain, key: key),
            origin: .cache)
    }

    /// Stores a newly issued certificate (replacing the previous one for the same domains).
    public func store(_ certificate: ACMECertificate, for domains: [String]) throws(ACMEError) {
        let folder = try folder(for: domains)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw ACMEError(.storage, "cannot create \(folder.path): \(error)")
        }
        try write(certificate.key.pem, to: folder.appendingPathComponent("key.pem"), secret: true)
        try write(certificate.chainPEM, to: folder.appendingPathComponent("chain.pem"), secret: false)
        try write(domains.joined(separator: "\n"), to: folder.appendingPathComponent("domains"), secret: false)
    }

    private func folder(for domains: [String]) throws(ACMEError) -> URL {
        guard let first = domains.first, !first.isEmpty,
            first.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" || $0 == "*" }),
            !first.hasPrefix(".")
        else { throw ACMEError(.configuration, "not a domain name: \(domains.first ?? "")") }
        return directory.appendingPathComponent(first.replacingOccurrences(of: "*", with: "_wildcard"))
    }

    private func read(_ file: URL) throws(ACMEError) -> String? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ACMEError(.storage, "cannot read \(file.path): \(error)")
        }
    }

    private func write(_ text: String, to file: URL, secret: Bool) throws(ACMEError) {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ACMEError(.storage, "cannot create \(file.deletingLastPathComponent().path): \(error)")
        }
        // open(2) with the final mode, so a key is never readable by others even for a moment; then rename(2).
        let temporary = file.path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secret ? 0o600 : 0o644)
        guard descriptor >= 0 else {
            throw ACMEError(.storage, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { raw in systemWrite(descriptor, raw.baseAddress, raw.count) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { break }
            written += result
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ACMEError(.storage, "cannot write \(file.path): \(reason)")
        }
    }
}

/// A certificate chain with its key, and where it came from.
public struct ACMECertificate: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// Read from the cache directory; no request went to the CA.
        case cache
        /// Just issued by the CA.
        case issued
    }

    /// PEM, leaf first, then the intermediates — what a TLS server presents.
    public var chainPEM: String
    public var key: ACMEKey
    public var info: ACMECertificateInfo
    public var origin: Origin

    public init(chainPEM: String, key: ACMEKey, info: ACMECertificateInfo, origin: Origin) {
        self.chainPEM = chainPEM
        self.key = key
        self.info = info
        self.origin = origin
    }
}

/// write(2), named apart from the cache's own `write` method.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
    #else
    return Darwin.write(descriptor, buffer, count)
    #endif
}
