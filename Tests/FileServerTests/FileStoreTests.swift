import FileServer
import Foundation
import TestSupport
import Testing

/// A fresh store in a temporary directory, removed afterwards.
func withFileStore<Result>(limits: FileStoreLimits = FileStoreLimits(),
    _ body: (FileStore, String) async throws -> Result) async throws -> Result
{
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meeting-fs-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try await FileStore.open(directory: directory, limits: limits, nowMilliseconds: 0)
    do {
        let result = try await body(store, directory)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// Deterministic content: byte i of a pattern with `seed` (the same rule as FileStoreCrashWriter's).
func pattern(from start: Int64, count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { offset in
        let index = start + Int64(offset)
        return UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) ^ seed
    }
}

/// SHA-256 of a file by coreutils' `sha256sum` — an implementation we did not write.
func sha256sum(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(RealPeer.executable("sha256sum")))
    process.arguments = [path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

/// Every file name in `directory` and below, relative to it.
func tree(_ directory: String) -> [String] {
    (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
}

@Suite("FileStore: content-addressed files, resumable uploads, limits")
struct FileStoreTests {
    @Test("A 3 MiB + 17 B upload in 1 MiB chunks comes back byte for byte, addressed by its SHA-256")
    func roundTrip() async throws {
        try await withFileStore { store, directory throws in
            let size: Int64 = 3 << 20 + 17
            let upload = try await store.createUpload(meetingID: "m1", ownerID: "u1", name: "Résumé (final).pdf",
                contentType: "application/pdf", size: size, nowMilliseconds: 10)
            var offset: Int64 = 0
            while offset < size {
                let count = Int(min(1 << 20, size - offset))
                offset = try await store.append(uploadID: upload.id, offset: offset,
                    bytes: pattern(from: offset, count: count), nowMilliseconds: 11).received
            }
            #expect(try await store.files(meetingID: "m1").isEmpty)
            let file = try await store.finishUpload(id: upload.id, nowMilliseconds: 12)
            #expect(file.name == "Résumé (final).pdf" && file.size == size && file.meetingID == "m1")
            #expect(try await store.files(meetingID: "m1") == [file])
            #expect(try await store.file(id: file.id) == file)
            #expect(try await store.upload(id: upload.id) == nil)
            #expect(try sha256sum(store.contentPath(of: file)) == file.sha256)
            #expect(store.contentPath(of: file).hasSuffix("/objects/\(file.sha256.prefix(2))/\(file.sha256)"))
            let back = try await store.read(file, offset: 0, count: Int(size))
            #expect(back == pattern(from: 0, count: Int(size)))
            #expect(try await store.read(file, offset: size - 5, count: 100) == pattern(from: size - 5, count: 5))
            #expect(tree(directory + "/uploads").isEmpty)
            #expect(try await store.usage(ownerID: "u1") == size)
        }
    }

    @Test("Chunks must start where the upload stands; the offset survives a restart and the upload resumes")
    func resume() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meeting-fs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var store = try await FileStore.open(directory: directory, nowMilliseconds: 0)
        let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: "a.bin", contentType: "x",
            size: 1000, nowMilliseconds: 1)
        _ = try await store.append(uploadID: upload.id, offset: 0, bytes: pattern(from: 0, count: 400), nowMilliseconds: 2)
        await #expect(throws: FileStoreError.offsetMismatch(expected: 400, given: 0)) {
            _ = try await store.append(uploadID: upload.id, offset: 0, bytes: [1], nowMilliseconds: 3)
        }
        await #expect(throws: FileStoreError.sizeExceeded(declared: 1000, attempted: 1001)) {
            _ = try await store.append(uploadID: upload.id, offset: 400, bytes: pattern(from: 400, count: 601),
                nowMilliseconds: 3)
        }
        await #expect(throws: FileStoreError.incomplete(received: 400, declared: 1000)) {
            _ = try await store.finishUpload(id: upload.id, nowMilliseconds: 3)
        }
        await store.close()

        store = try await FileStore.open(directory: directory, nowMilliseconds: 10)
        let status = try #require(try await store.upload(id: upload.id))
        #expect(status.received == 400)
        _ = try await store.append(uploadID: upload.id, offset: 400, bytes: pattern(from: 400, count: 600),
            nowMilliseconds: 11)
        let file = try await store.finishUpload(id: upload.id, nowMilliseconds: 12)
        #expect(try await store.read(file, offset: 0, count: 1000) == pattern(from: 0, count: 1000))
        await store.close()
    }

    @Test("Identical content is stored once; its bytes go with the last record")
    func deduplication() async throws {
        try await withFileStore { store, directory throws in
            var files: [StoredFile] = []
            for name in ["one.txt", "two.txt"] {
                let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: name,
                    contentType: "text/plain", size: 5, nowMilliseconds: 1)
                _ = try await store.append(uploadID: upload.id, offset: 0, bytes: Array("hello".utf8), nowMilliseconds: 2)
                files.append(try await store.finishUpload(id: upload.id, nowMilliseconds: 3))
            }
            #expect(files[0].sha256 == files[1].sha256 && files[0].id != files[1].id)
            #expect(files[0].sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
            #expect(tree(directory + "/objects").filter { $0.count > 3 } == ["2c/" + files[0].sha256])
            #expect(try await store.deleteFile(id: files[0].id))
            #expect(try await store.read(files[1], offset: 0, count: 5) == Array("hello".utf8))
            #expect(try await store.deleteFile(id: files[1].id))
            #expect(try await store.deleteFile(id: files[1].id) == false)
            #expect(tree(directory + "/objects").filter { $0.count > 3 }.isEmpty)
            #expect(try await store.files(meetingID: "m").isEmpty)
        }
    }

    @Test("An empty file is a file")
    func emptyFile() async throws {
        try await withFileStore { store, _ throws in
            let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: "empty", contentType: "x",
                size: 0, nowMilliseconds: 1)
            let file = try await store.finishUpload(id: upload.id, nowMilliseconds: 2)
            #expect(file.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            #expect(try await store.read(file, offset: 0, count: 10) == [])
        }
    }

    @Test("Maximum file size and per-user quota (uploads in progress count) with clear errors")
    func limits() async throws {
        try await withFileStore(limits: FileStoreLimits(maximumFileSize: 1000, quotaPerUser: 1500)) { store, directory throws in
            do {
                _ = try await store.createUpload(meetingID: "m", ownerID: "u", name: "big", contentType: "x", size: 1001,
                    nowMilliseconds: 1)
                Issue.record("a file over the maximum size was accepted")
            } catch let error as FileStoreError {
                #expect(error == .fileTooLarge(size: 1001, maximum: 1000))
                #expect(error.description == "the file has 1001 bytes; this server accepts files up to 1000 bytes")
            }
            let first = try await store.createUpload(meetingID: "m", ownerID: "u", name: "a", contentType: "x",
                size: 1000, nowMilliseconds: 1)
            await #expect(throws: FileStoreError.quotaExceeded(used: 1000, requested: 600, quota: 1500)) {
                _ = try await store.createUpload(meetingID: "m", ownerID: "u", name: "b", contentType: "x", size: 600,
                    nowMilliseconds: 2)
            }
            _ = try await store.createUpload(meetingID: "m", ownerID: "other", name: "b", contentType: "x", size: 600,
                nowMilliseconds: 2)
            _ = try await store.append(uploadID: first.id, offset: 0, bytes: pattern(from: 0, count: 1000), nowMilliseconds: 3)
            let file = try await store.finishUpload(id: first.id, nowMilliseconds: 4)
            #expect(try await store.usage(ownerID: "u") == 1000)
            #expect(try await store.deleteFile(id: file.id))
            #expect(try await store.usage(ownerID: "u") == 0)
            _ = try await store.createUpload(meetingID: "m", ownerID: "u", name: "b", contentType: "x", size: 600,
                nowMilliseconds: 5)
            _ = directory
        }
    }

    @Test("Traversal, absolute, encoded and control-character names are refused and nothing is written",
        arguments: ["../etc/passwd", "/etc/passwd", "..", ".", "a/b", "a\\b", "%2e%2e%2fetc", "%252e%252e%252f",
            "..%2f..%2fx", "a\u{0}b", "line\r\nbreak", "", "   ", String(repeating: "x", count: 256)])
    func refusedNames(name: String) async throws {
        try await withFileStore { store, directory throws in
            await #expect(throws: FileStoreError.self) {
                _ = try await store.createUpload(meetingID: "m", ownerID: "u", name: name, contentType: "x", size: 1,
                    nowMilliseconds: 1)
            }
            #expect(tree(directory + "/uploads").isEmpty && tree(directory + "/objects").isEmpty)
            #expect(try await store.usage(ownerID: "u") == 0)
        }
    }

    @Test("Names that only look odd are kept verbatim", arguments: ["..hidden", "a..b.txt", "100% done.png",
        "Robert'); DROP TABLE files;--.txt", "日本語.txt", "%zz"])
    func acceptedNames(name: String) async throws {
        try await withFileStore { store, _ throws in
            let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: name, contentType: "x", size: 0,
                nowMilliseconds: 1)
            #expect(try await store.finishUpload(id: upload.id, nowMilliseconds: 2).name == name)
        }
    }

    @Test("Upload ids from clients never reach a path; concurrent writers to one upload are refused")
    func uploadIDs() async throws {
        try await withFileStore { store, directory throws in
            #expect(try await store.upload(id: "../../metadata.sqlite") == nil)
            await #expect(throws: FileStoreError.uploadNotFound("../../metadata.sqlite")) {
                _ = try await store.append(uploadID: "../../metadata.sqlite", offset: 0, bytes: [1], nowMilliseconds: 1)
            }
            let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: "a", contentType: "x",
                size: 8 << 20, nowMilliseconds: 1)
            let results = await withTaskGroup(of: Result<UploadStatus, FileStoreError>.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            return .success(try await store.append(uploadID: upload.id, offset: 0,
                                bytes: pattern(from: 0, count: 4 << 20), nowMilliseconds: 2))
                        } catch let error as FileStoreError {
                            return .failure(error)
                        } catch {
                            return .failure(.closed)
                        }
                    }
                }
                var results: [Result<UploadStatus, FileStoreError>] = []
                for await result in group { results.append(result) }
                return results
            }
            let successes = results.filter { if case .success = $0 { true } else { false } }
            #expect(successes.count == 1, "\(results)")
            #expect(try await store.upload(id: upload.id)?.received == 4 << 20)
            #expect(tree(directory + "/uploads") == [upload.id + ".part"])
        }
    }
}
