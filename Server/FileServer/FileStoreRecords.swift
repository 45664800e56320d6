import Database

/// A stored file: the metadata record the fsserver lists and serves; its bytes live at the path named by `sha256`.
public struct StoredFile: Sendable, Hashable, Codable {
    public var id: String
    public var meetingID: String
    public var ownerID: String
    /// The client's name for it (display only; never a path — see ``FileName``).
    public var name: String
    public var contentType: String
    public var size: Int64
    /// Lowercase hex SHA-256 of the content: the content address and the ETag.
    public var sha256: String
    /// Unix milliseconds.
    public var createdAt: Int64
}

/// An upload in progress: created with its final size, filled by chunks at increasing offsets (resumable after a
/// dropped connection or a restart), finished into a ``StoredFile``.
public struct UploadStatus: Sendable, Hashable, Codable {
    public var id: String
    public var meetingID: String
    public var ownerID: String
    public var name: String
    public var contentType: String
    /// The declared final size.
    public var size: Int64
    /// Bytes durably received: the offset the next chunk must start at.
    public var received: Int64
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// The server's limits.
public struct FileStoreLimits: Sendable, Hashable {
    /// The largest file accepted, in bytes.
    public var maximumFileSize: Int64
    /// The bytes one user may hold (stored files plus uploads in progress, by declared size).
    public var quotaPerUser: Int64

    public init(maximumFileSize: Int64 = 2 << 30, quotaPerUser: Int64 = 10 << 30) {
        self.maximumFileSize = maximumFileSize
        self.quotaPerUser = quotaPerUser
    }
}

/// The metadata schema (SQLite `metadata.sqlite` under `--directory`).
enum FileStoreSchema {
    static let id = ColumnType.key(maximumLength: 64)

    static let migrations = [
        SchemaMigration(version: 1, name: "files and uploads", steps: [
            .createTable(TableDefinition("files",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("meeting_id", id),
                    ColumnDefinition("owner_id", id),
                    ColumnDefinition("name", .text),
                    ColumnDefinition("content_type", .text),
                    ColumnDefinition("size", .integer),
                    ColumnDefinition("sha256", .key(maximumLength: 64)),
                    ColumnDefinition("created_at", .integer),
                ],
                primaryKey: ["id"], indexes: [["meeting_id"], ["owner_id"], ["sha256"]])),
            .createTable(TableDefinition("uploads",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("meeting_id", id),
                    ColumnDefinition("owner_id", id),
                    ColumnDefinition("name", .text),
                    ColumnDefinition("content_type", .text),
                    ColumnDefinition("size", .integer),
                    ColumnDefinition("received", .integer),
                    // Set once the finished upload's bytes were hashed, before they are renamed into place, so a
                    // restart can complete a finish that a crash interrupted.
                    ColumnDefinition("sha256", .key(maximumLength: 64), nullable: true),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("updated_at", .integer),
                ],
                primaryKey: ["id"], indexes: [["owner_id"]])),
        ]),
    ]
}
