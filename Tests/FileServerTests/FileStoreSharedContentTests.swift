import FileServer
import Foundation
import Testing

/// Identical content is stored once and shared by every record naming its hash, so deleting one record must never
/// take the bytes away from another — also when the other record is being finished at the same moment.
@Suite("FileStore: shared content survives concurrent delete and finish")
struct FileStoreSharedContentTests {
    @Test("Deleting the last file of some content while an identical upload finishes leaves the new file readable")
    func deleteRacesFinish() async throws {
        try await withFileStore { store, _ throws in
            // Bounded rounds of 12 contents at once; each pair (delete the only file of a content, finish an
            // identical upload) gets another chance to interleave badly.
            for round in 0..<20 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<12 {
                        group.addTask {
                            let content = pattern(from: Int64(lane), count: 2048, seed: UInt8(round))
                            let first = try await Self.upload(store, content, name: "a.bin")
                            let old = try await store.finishUpload(id: first.id, nowMilliseconds: 1)
                            let second = try await Self.upload(store, content, name: "b.bin")
                            async let deleted = store.deleteFile(id: old.id)
                            async let finished = store.finishUpload(id: second.id, nowMilliseconds: 2)
                            let (wasDeleted, new) = try await (deleted, finished)
                            #expect(wasDeleted)
                            let bytes = try await store.read(new, offset: 0, count: content.count)
                            #expect(bytes == content, "round \(round) lane \(lane): the finished file lost its bytes")
                            #expect(try await store.deleteFile(id: new.id))
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    static func upload(_ store: FileStore, _ content: [UInt8], name: String) async throws -> UploadStatus {
        let upload = try await store.createUpload(meetingID: "m", ownerID: "u", name: name,
            contentType: "application/octet-stream", size: Int64(content.count), nowMilliseconds: 0)
        return try await store.append(uploadID: upload.id, offset: 0, bytes: content, nowMilliseconds: 0)
    }
}
