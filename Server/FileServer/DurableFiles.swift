#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// The POSIX calls the store's durability rests on, with errors that name the call and the path. All of them block;
/// ``FileStore`` runs them on its own thread pool.
///
/// The rule for making bytes visible is the classic one: write them to a file nobody reads, `fsync` it, `rename`
/// it to its final name (atomic within one filesystem), then `fsync` the directory so the rename itself survives a
/// power cut. A crash at any point leaves either the old state or the new one, never a partial file under a final
/// name.
enum DurableFiles {
    static func fail(_ operation: String, _ path: String) -> FileStoreError {
        .io(operation: "\(operation) \(path)", code: errno)
    }

    /// Creates `path` (mode 0700) unless it exists as a directory.
    static func makeDirectory(_ path: String) throws(FileStoreError) -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        guard errno == EEXIST else { throw fail("mkdir", path) }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .io(operation: "mkdir \(path) (exists and is not a directory)", code: ENOTDIR)
        }
        return false
    }

    /// fsync on a directory: makes the names created, renamed or removed in it durable.
    static func syncDirectory(_ path: String) throws(FileStoreError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw fail("fsync", path) }
    }

    /// Writes `bytes` at `offset` of `path` after cutting the file to `offset` (dropping any unconfirmed tail a
    /// crash left), then fsyncs it. Creates the file (mode 0600) if needed.
    static func writeChunk(_ path: String, offset: Int64, bytes: [UInt8]) throws(FileStoreError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(offset)) == 0 else { throw fail("ftruncate", path) }
        let failure: FileStoreError? = bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count, let base = buffer.baseAddress {
                let result = pwrite(descriptor, base + written, buffer.count - written, off_t(offset) + off_t(written))
                if result < 0 {
                    if errno == EINTR { continue }
                    return fail("pwrite", path)
                }
                written += result
            }
            return nil
        }
        if let failure { throw failure }
        guard fsync(descriptor) == 0 else { throw fail("fsync", path) }
    }

    /// The size of `path`, or nil if it does not exist.
    static func size(_ path: String) throws(FileStoreError) -> Int64? {
        var info = stat()
        if stat(path, &info) == 0 { return Int64(info.st_size) }
        if errno == ENOENT { return nil }
        throw fail("stat", path)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Removes `path`; a missing file is not an error.
    static func remove(_ path: String) throws(FileStoreError) {
        if unlink(path) != 0, errno != ENOENT { throw fail("unlink", path) }
    }

    static func rename(_ from: String, _ to: String) throws(FileStoreError) {
        guard Glibc.rename(from, to) == 0 else { throw fail("rename \(from) to", to) }
    }

    /// The names in a directory (without `.` and `..`).
    static func list(_ path: String) throws(FileStoreError) -> [String] {
        guard let directory = opendir(path) else { throw fail("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Streams `path` through SHA-256 (OpenSSL EVP) and returns the lowercase hex digest and the byte count.
    static func sha256(_ path: String) throws(FileStoreError) -> (hex: String, size: Int64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        guard let context = EVP_MD_CTX_new() else { throw .io(operation: "EVP_MD_CTX_new", code: ENOMEM) }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw .io(operation: "EVP_DigestInit_ex(SHA-256)", code: EINVAL)
        }
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = Glibc.read(descriptor, buffer, bufferSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("read", path)
            }
            if count == 0 { break }
            EVP_DigestUpdate(context, buffer, count)
            total += Int64(count)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw .io(operation: "EVP_DigestFinal_ex(SHA-256)", code: EINVAL)
        }
        return (hex(digest), total)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    static func read(_ path: String, offset: Int64, count: Int) throws(FileStoreError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        var failure: FileStoreError?
        bytes.withUnsafeMutableBytes { buffer in
            while filled < count, let base = buffer.baseAddress {
                let result = pread(descriptor, base + filled, count - filled, off_t(offset) + off_t(filled))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = fail("pread", path)
                    return
                }
                if result == 0 { break }
                filled += result
            }
        }
        if let failure { throw failure }
        return Array(bytes.prefix(filled))
    }
}
