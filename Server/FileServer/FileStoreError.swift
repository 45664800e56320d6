#if canImport(Glibc)
import Glibc
#endif
import Database

/// Why a file-store operation was refused or failed. Each case maps to one HTTP answer for the coming fsserver.
public enum FileStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file is larger than the server's maximum file size (HTTP 413).
    case fileTooLarge(size: Int64, maximum: Int64)
    /// The upload would take the user over their quota (HTTP 403 with the figures).
    case quotaExceeded(used: Int64, requested: Int64, quota: Int64)
    /// A client-supplied name was refused (HTTP 400); names never become paths, this only keeps them sane.
    case invalidName(String)
    /// A chunk did not start where the upload stands; `expected` is where to resume (HTTP 409).
    case offsetMismatch(expected: Int64, given: Int64)
    /// A chunk would take the upload past its declared size (HTTP 400).
    case sizeExceeded(declared: Int64, attempted: Int64)
    /// Finishing an upload that has not received all its bytes (HTTP 409).
    case incomplete(received: Int64, declared: Int64)
    /// Another request is writing the same upload right now (HTTP 409).
    case uploadBusy(String)
    case uploadNotFound(String)
    case fileNotFound(String)
    /// The bytes on disk do not match their record (size or hash): the store refuses to serve them.
    case corrupt(String)
    /// A system call failed; `operation` names it and the path, `code` is errno.
    case io(operation: String, code: Int32)
    /// The metadata database failed.
    case database(DatabaseError)
    /// The store was closed.
    case closed

    /// A stable, machine-readable code.
    public var code: String {
        switch self {
        case .fileTooLarge: "fs.file_too_large"
        case .quotaExceeded: "fs.quota_exceeded"
        case .invalidName: "fs.invalid_name"
        case .offsetMismatch: "fs.offset_mismatch"
        case .sizeExceeded: "fs.size_exceeded"
        case .incomplete: "fs.incomplete"
        case .uploadBusy: "fs.upload_busy"
        case .uploadNotFound: "fs.upload_not_found"
        case .fileNotFound: "fs.file_not_found"
        case .corrupt: "fs.corrupt"
        case .io: "fs.io"
        case .database: "fs.database"
        case .closed: "fs.closed"
        }
    }

    public var description: String {
        switch self {
        case .fileTooLarge(let size, let maximum):
            "the file has \(size) bytes; this server accepts files up to \(maximum) bytes"
        case .quotaExceeded(let used, let requested, let quota):
            "quota exceeded: \(used) bytes used + \(requested) requested > \(quota) bytes allowed"
        case .invalidName(let reason): "invalid file name: \(reason)"
        case .offsetMismatch(let expected, let given):
            "the chunk starts at byte \(given) but the upload stands at \(expected); resume from \(expected)"
        case .sizeExceeded(let declared, let attempted):
            "the upload was declared with \(declared) bytes; this chunk would make it \(attempted)"
        case .incomplete(let received, let declared): "the upload has \(received) of \(declared) bytes"
        case .uploadBusy(let id): "upload \(id) is being written by another request"
        case .uploadNotFound(let id): "no upload \(id)"
        case .fileNotFound(let id): "no file \(id)"
        case .corrupt(let detail): "stored bytes do not match their record: \(detail)"
        case .io(let operation, let code): "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .database(let error): error.description
        case .closed: "the file store is closed"
        }
    }
}
