#if canImport(Glibc)
import Glibc
#endif
import Database
import NIOConcurrencyHelpers
import NIOPosix

/// The fsserver's storage: files content-addressed by SHA-256 under `--directory`, metadata in SQLite, uploads
/// resumable by offset, a maximum file size and a per-user quota. No HTTP here; the fsserver's handlers call this.
///
/// Layout under the directory (every name is chosen by the store, never by a client):
/// - `objects/<first two hex digits>/<64 hex digits>` — the bytes of a file, immutable, shared by identical files.
/// - `uploads/<upload id>.part` — an upload in progress; becomes an object by `rename` once complete and hashed.
/// - `metadata.sqlite` — the `files` and `uploads` records (through ``Database``).
///
/// A file is visible (listed, served) only once its record exists, and its record is written only after its bytes
/// were fsynced and renamed into `objects/` and that directory fsynced. A writer killed at any moment leaves at most
/// an `uploads/*.part` tail beyond the confirmed offset (cut off by the next chunk) or an unreferenced object
/// (removed on open); ``open(directory:limits:nowMilliseconds:)`` finishes what a crash interrupted.
public final class FileStore: Sendable {
    public let directory: String
    public let limits: FileStoreLimits
    private let database: Database
    private let threads: NIOThreadPool
    /// Uploads being written right now: one request per upload at a time.
    private let busyUploads = NIOLockedValueBox<Set<String>>([])
    /// Serializes the two steps that decide whether an object stays: finishing (an object found in place is
    /// reused and its record written) and deleting (the last record goes, then the object). Without it a delete
    /// that found no other record could unlink an object a concurrent finish had just decided to reuse.
    private let objectGate = ObjectGate()

    private var objectsDirectory: String { directory + "/objects" }
    private var uploadsDirectory: String { directory + "/uploads" }

    private init(directory: String, limits: FileStoreLimits, database: Database, threads: NIOThreadPool) {
        self.directory = directory
        self.limits = limits
        self.database = database
        self.threads = threads
    }

    /// Opens (creating if needed) the store in `directory`, migrates its metadata and recovers from a crash:
    /// finishes uploads that were hashed but not recorded, and removes unreferenced objects and stray part files.
    public static func open(directory: String, limits: FileStoreLimits = FileStoreLimits(), nowMilliseconds: Int64)
        async throws(FileStoreError) -> FileStore
    {
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        _ = try DurableFiles.makeDirectory(root)
        for sub in ["objects", "uploads"] where try DurableFiles.makeDirectory(root + "/" + sub) {
            try DurableFiles.syncDirectory(root)
        }
        let database: Database
        do {
            database = try await Database.sqlite(path: root + "/metadata.sqlite")
            try await MigrationRunner.migrate(database, FileStoreSchema.migrations, nowMilliseconds: nowMilliseconds)
        } catch {
            throw .database(error)
        }
        let threads = NIOThreadPool(numberOfThreads: 2)
        threads.start()
        let store = FileStore(directory: root, limits: limits, database: database, threads: threads)
        do {
            try await store.recover(nowMilliseconds: nowMilliseconds)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Closes the metadata database and stops the I/O threads.
    public func close() async {
        await database.close()
        try? await threads.shutdownGracefully()
    }

    // MARK: - Uploads

    /// Starts an upload of `size` bytes, checking the name, the maximum size and the owner's quota (stored files
    /// plus uploads in progress).
    public func createUpload(meetingID: String, ownerID: String, name: String, contentType: String, size: Int64,
        nowMilliseconds: Int64) async throws(FileStoreError) -> UploadStatus
    {
        let name = try FileName.validated(name)
        guard size >= 0 else { throw .sizeExceeded(declared: 0, attempted: size) }
        guard size <= limits.maximumFileSize else { throw .fileTooLarge(size: size, maximum: limits.maximumFileSize) }
        let upload = UploadStatus(id: Self.randomID(), meetingID: meetingID, ownerID: ownerID, name: name,
            contentType: contentType, size: size, received: 0, createdAt: nowMilliseconds, updatedAt: nowMilliseconds)
        let quota = limits.quotaPerUser
        try await transaction { connection in
            let used = try Self.usage(ownerID: ownerID, connection)
            guard used + size <= quota else {
                throw FileStoreError.quotaExceeded(used: used, requested: size, quota: quota)
            }
            try connection.execute("""
                INSERT INTO uploads (id, meeting_id, owner_id, name, content_type, size, received, sha256, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
                """,
                [.text(upload.id), .text(meetingID), .text(ownerID), .text(name), .text(contentType), .integer(size),
                    .integer(0), .integer(nowMilliseconds), .integer(nowMilliseconds)])
        }
        return upload
    }

    /// An upload's status: `received` is where to resume.
    public func upload(id: String) async throws(FileStoreError) -> UploadStatus? {
        try await transaction { connection in try Self.upload(id: id, connection) }
    }

    /// Appends `bytes` at `offset`, which must equal the upload's `received`; the bytes are fsynced before
    /// `received` moves, so a confirmed offset is always on disk. Pass large chunks (MiBs): each costs an fsync.
    public func append(uploadID: String, offset: Int64, bytes: [UInt8], nowMilliseconds: Int64)
        async throws(FileStoreError) -> UploadStatus
    {
        try claim(uploadID)
        defer { release(uploadID) }
        guard let upload = try await upload(id: uploadID) else { throw .uploadNotFound(uploadID) }
        guard offset == upload.received else { throw .offsetMismatch(expected: upload.received, given: offset) }
        let end = offset + Int64(bytes.count)
        guard end <= upload.size else { throw .sizeExceeded(declared: upload.size, attempted: end) }
        let path = partPath(uploadID)
        try await run { () throws(FileStoreError) in
            try DurableFiles.writeChunk(path, offset: offset, bytes: bytes)
        }
        try await transaction { connection in
            let result = try connection.execute(
                "UPDATE uploads SET received = ?, updated_at = ? WHERE id = ? AND received = ?",
                [.integer(end), .integer(nowMilliseconds), .text(uploadID), .integer(offset)])
            guard result.affectedRows == 1 else { throw FileStoreError.uploadBusy(uploadID) }
        }
        var updated = upload
        updated.received = end
        updated.updatedAt = nowMilliseconds
        return updated
    }

    /// Completes an upload that received all its bytes: hashes them, moves them into `objects/` (or drops them if
    /// identical content is stored already), and records the file.
    public func finishUpload(id: String, nowMilliseconds: Int64) async throws(FileStoreError) -> StoredFile {
        try claim(id)
        defer { release(id) }
        guard let upload = try await upload(id: id) else { throw .uploadNotFound(id) }
        guard upload.received == upload.size else {
            throw .incomplete(received: upload.received, declared: upload.size)
        }
        let path = partPath(id)
        if upload.size == 0, !DurableFiles.exists(path) {
            try await run { () throws(FileStoreError) in try DurableFiles.writeChunk(path, offset: 0, bytes: []) }
        }
        let (digest, size) = try await run { () throws(FileStoreError) in try DurableFiles.sha256(path) }
        guard size == upload.size else {
            throw .corrupt("upload \(id) has \(size) bytes on disk but \(upload.size) confirmed")
        }
        try await transaction { connection in
            try connection.execute("UPDATE uploads SET sha256 = ? WHERE id = ?", [.text(digest), .text(id)])
        }
        return try await complete(upload, sha256: digest, nowMilliseconds: nowMilliseconds)
    }

    /// Abandons an upload and removes its bytes.
    public func cancelUpload(id: String) async throws(FileStoreError) {
        try claim(id)
        defer { release(id) }
        try await transaction { connection in
            try connection.execute("DELETE FROM uploads WHERE id = ?", [.text(id)])
        }
        let path = partPath(id)
        try await run { () throws(FileStoreError) in try DurableFiles.remove(path) }
    }

    /// Moves a hashed upload's bytes into place (unless already there) and swaps its upload record for a file
    /// record. Idempotent, so recovery can call it again after a crash anywhere inside.
    private func complete(_ upload: UploadStatus, sha256: String, nowMilliseconds: Int64) async throws(FileStoreError)
        -> StoredFile
    {
        let part = partPath(upload.id)
        let shard = objectsDirectory + "/" + String(sha256.prefix(2))
        let object = shard + "/" + sha256
        let objects = objectsDirectory
        let uploads = uploadsDirectory
        await objectGate.enter()
        defer { objectGate.leave() }
        try await run { () throws(FileStoreError) in
            if try DurableFiles.makeDirectory(shard) { try DurableFiles.syncDirectory(objects) }
            if DurableFiles.exists(object) {
                // Identical content is stored already (or a previous attempt renamed it): keep one copy.
                try DurableFiles.remove(part)
            } else {
                try DurableFiles.rename(part, object)
                try DurableFiles.syncDirectory(shard)
            }
            try DurableFiles.syncDirectory(uploads)
        }
        let file = StoredFile(id: Self.randomID(), meetingID: upload.meetingID, ownerID: upload.ownerID,
            name: upload.name, contentType: upload.contentType, size: upload.size, sha256: sha256,
            createdAt: nowMilliseconds)
        try await transaction { connection in
            try connection.execute("""
                INSERT INTO files (id, meeting_id, owner_id, name, content_type, size, sha256, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(file.id), .text(file.meetingID), .text(file.ownerID), .text(file.name), .text(file.contentType),
                    .integer(file.size), .text(file.sha256), .integer(file.createdAt)])
            try connection.execute("DELETE FROM uploads WHERE id = ?", [.text(upload.id)])
        }
        return file
    }

    // MARK: - Files

    public func file(id: String) async throws(FileStoreError) -> StoredFile? {
        try await transaction { connection in
            try connection.queryFirst("SELECT \(Self.fileColumns) FROM files WHERE id = ?", [.text(id)]).map(Self.file)
        }
    }

    /// A meeting's files, oldest first.
    public func files(meetingID: String) async throws(FileStoreError) -> [StoredFile] {
        try await transaction { connection in
            try connection.query("SELECT \(Self.fileColumns) FROM files WHERE meeting_id = ? ORDER BY created_at, id",
                [.text(meetingID)]).map(Self.file)
        }
    }

    /// Bytes a user holds: stored files plus uploads in progress (declared sizes).
    public func usage(ownerID: String) async throws(FileStoreError) -> Int64 {
        try await transaction { connection in try Self.usage(ownerID: ownerID, connection) }
    }

    /// The path of a file's bytes, for serving (sendfile, ranges). Built from the hash alone.
    public func contentPath(of file: StoredFile) -> String {
        objectsDirectory + "/" + String(file.sha256.prefix(2)) + "/" + file.sha256
    }

    /// Reads up to `count` bytes of a file from `offset`, checking the stored size first.
    public func read(_ file: StoredFile, offset: Int64, count: Int) async throws(FileStoreError) -> [UInt8] {
        let path = contentPath(of: file)
        return try await run { () throws(FileStoreError) in
            guard let size = try DurableFiles.size(path) else { throw .corrupt("file \(file.id): its bytes are missing") }
            guard size == file.size else { throw .corrupt("file \(file.id): \(size) bytes on disk, \(file.size) recorded") }
            return try DurableFiles.read(path, offset: offset, count: count)
        }
    }

    /// Deletes a file's record; its bytes go when no other record shares them. Returns false if there was no file.
    public func deleteFile(id: String) async throws(FileStoreError) -> Bool {
        await objectGate.enter()
        defer { objectGate.leave() }
        let removed: String?? = try await transaction { connection -> String?? in
            guard let row = try connection.queryFirst("SELECT sha256 FROM files WHERE id = ?", [.text(id)]) else {
                return .none
            }
            let digest = try row.text("sha256")
            try connection.execute("DELETE FROM files WHERE id = ?", [.text(id)])
            let shared = try connection.queryFirst("""
                SELECT (SELECT COUNT(*) FROM files WHERE sha256 = ?) + (SELECT COUNT(*) FROM uploads WHERE sha256 = ?) AS n
                """, [.text(digest), .text(digest)])
            return .some(try shared?.integer("n") == 0 ? digest : nil)
        }
        guard case .some(let orphan) = removed else { return false }
        if let orphan { try await removeObject(orphan) }
        return true
    }

    private func removeObject(_ sha256: String) async throws(FileStoreError) {
        let shard = objectsDirectory + "/" + String(sha256.prefix(2))
        try await run { () throws(FileStoreError) in
            try DurableFiles.remove(shard + "/" + sha256)
            try DurableFiles.syncDirectory(shard)
        }
    }

    // MARK: - Recovery

    /// Finishes interrupted finishes, drops part files without an upload, and removes objects no record uses.
    private func recover(nowMilliseconds: Int64) async throws(FileStoreError) {
        let hashed = try await transaction { connection in
            try connection.query("SELECT \(Self.uploadColumns), sha256 FROM uploads WHERE sha256 IS NOT NULL", [])
                .map { row throws(DatabaseError) in (try Self.upload(row), try row.text("sha256")) }
        }
        for (upload, digest) in hashed {
            let object = objectsDirectory + "/" + String(digest.prefix(2)) + "/" + digest
            if DurableFiles.exists(partPath(upload.id)) || DurableFiles.exists(object) {
                _ = try await complete(upload, sha256: digest, nowMilliseconds: nowMilliseconds)
            }
        }
        let (uploadIDs, digests) = try await transaction { connection in
            let uploads = Set(try connection.query("SELECT id FROM uploads", []).map { row throws(DatabaseError) in
                try row.text("id")
            })
            let digests = Set(try connection.query("SELECT sha256 FROM files UNION SELECT sha256 FROM uploads WHERE sha256 IS NOT NULL", [])
                .map { row throws(DatabaseError) in try row.text("sha256") })
            return (uploads, digests)
        }
        let uploads = uploadsDirectory
        let objects = objectsDirectory
        try await run { () throws(FileStoreError) in
            for name in try DurableFiles.list(uploads) {
                let id = name.hasSuffix(".part") ? String(name.dropLast(5)) : name
                if !uploadIDs.contains(id) { try DurableFiles.remove(uploads + "/" + name) }
            }
            for shard in try DurableFiles.list(objects) {
                for name in try DurableFiles.list(objects + "/" + shard) where !digests.contains(name) {
                    try DurableFiles.remove(objects + "/" + shard + "/" + name)
                }
            }
        }
    }

    // MARK: - Plumbing

    static let fileColumns = "id, meeting_id, owner_id, name, content_type, size, sha256, created_at"
    static let uploadColumns = "id, meeting_id, owner_id, name, content_type, size, received, created_at, updated_at"

    static func file(_ row: DatabaseRow) throws(DatabaseError) -> StoredFile {
        StoredFile(id: try row.text("id"), meetingID: try row.text("meeting_id"), ownerID: try row.text("owner_id"),
            name: try row.text("name"), contentType: try row.text("content_type"), size: try row.integer("size"),
            sha256: try row.text("sha256"), createdAt: try row.integer("created_at"))
    }

    static func upload(_ row: DatabaseRow) throws(DatabaseError) -> UploadStatus {
        UploadStatus(id: try row.text("id"), meetingID: try row.text("meeting_id"), ownerID: try row.text("owner_id"),
            name: try row.text("name"), contentType: try row.text("content_type"), size: try row.integer("size"),
            received: try row.integer("received"), createdAt: try row.integer("created_at"),
            updatedAt: try row.integer("updated_at"))
    }

    static func upload(id: String, _ connection: any DatabaseConnection) throws -> UploadStatus? {
        try connection.queryFirst("SELECT \(uploadColumns) FROM uploads WHERE id = ?", [.text(id)]).map(upload)
    }

    static func usage(ownerID: String, _ connection: any DatabaseConnection) throws -> Int64 {
        let row = try connection.queryFirst("""
            SELECT (SELECT COALESCE(SUM(size), 0) FROM files WHERE owner_id = ?)
                 + (SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner_id = ?) AS used
            """, [.text(ownerID), .text(ownerID)])
        return try row?.integer("used") ?? 0
    }

    /// Upload ids name part files, so they are only ever hex from the CSPRNG — never client text.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return DurableFiles.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private func partPath(_ uploadID: String) -> String {
        // The id is validated as 32 hex digits before it touches a path (it may arrive from a client).
        let safe = uploadID.utf8.count == 32 && uploadID.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        return uploadsDirectory + "/" + (safe ? uploadID : "invalid") + ".part"
    }

    private func claim(_ uploadID: String) throws(FileStoreError) {
        let claimed = busyUploads.withLockedValue { $0.insert(uploadID).inserted }
        guard claimed else { throw .uploadBusy(uploadID) }
    }

    private func release(_ uploadID: String) {
        _ = busyUploads.withLockedValue { $0.remove(uploadID) }
    }

    @discardableResult
    private func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (any DatabaseConnection) throws -> Result
    ) async throws(FileStoreError) -> Result {
        do {
            return try await database.transaction(body)
        } catch let error as FileStoreError {
            throw error
        } catch {
            throw .database(Database.databaseError(error))
        }
    }

    @discardableResult
    private func run<Result: Sendable>(_ body: @escaping @Sendable () throws(FileStoreError) -> Result)
        async throws(FileStoreError) -> Result
    {
        do {
            return try await threads.runIfActive { try body() }
        } catch let error as FileStoreError {
            throw error
        } catch {
            throw .closed
        }
    }
}

/// A first-in, first-out gate one task holds at a time, across suspension points (which a lock must not be held
/// over, and which an actor would interleave).
final class ObjectGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Waits until the gate is free and takes it.
    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let entered = state.withLockedValue { state in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if entered { continuation.resume() }
        }
    }

    /// Hands the gate to the next waiter, or frees it.
    func leave() {
        let next: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
