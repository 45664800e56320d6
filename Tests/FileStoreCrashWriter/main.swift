// A writer for FileServerTests' crash simulation: it writes into a FileStore and reports each durable step on
// standard output until the test kills it with SIGKILL. Test-only; not part of any server.
//
//   FileStoreCrashWriter upload DIR SIZE CHUNK    one upload of SIZE bytes in CHUNK-byte appends; prints
//                                                 "upload <id>" then "received <offset>" after each append
//   FileStoreCrashWriter churn DIR SIZE CHUNK     uploads and finishes files of SIZE bytes forever; prints
//                                                 "finished <file id> <sha256>" after each
//
// Byte i of every upload is `ContentPattern.byte(i, seed)` so the test can rebuild what was sent.
import FileServer
import Foundation

enum ContentPattern {
    static func bytes(from start: Int64, count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { offset in
            let index = start + Int64(offset)
            return UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) ^ seed
        }
    }
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let size = Int64(arguments[3]), let chunk = Int(arguments[4]), chunk > 0 else {
    FileHandle.standardError.write(Data("usage: FileStoreCrashWriter upload|churn DIR SIZE CHUNK\n".utf8))
    exit(2)
}
let mode = arguments[1]
let directory = arguments[2]

do {
    let store = try await FileStore.open(directory: directory, nowMilliseconds: 1)
    var round: UInt8 = 0
    repeat {
        round &+= 1
        let upload = try await store.createUpload(meetingID: "meeting", ownerID: "writer", name: "minutes-\(round).bin",
            contentType: "application/octet-stream", size: size, nowMilliseconds: 2)
        if mode == "upload" { say("upload \(upload.id)") }
        var offset: Int64 = 0
        while offset < size {
            let count = Int(min(Int64(chunk), size - offset))
            let status = try await store.append(uploadID: upload.id, offset: offset,
                bytes: ContentPattern.bytes(from: offset, count: count, seed: mode == "upload" ? 0 : round),
                nowMilliseconds: 3)
            offset = status.received
            if mode == "upload" { say("received \(offset)") }
        }
        if mode == "upload" {
            // Wait to be killed: the test decides when; never finish.
            while true { try await Task.sleep(for: .seconds(1)) }
        }
        let file = try await store.finishUpload(id: upload.id, nowMilliseconds: 4)
        say("finished \(file.id) \(file.sha256)")
    } while true
} catch {
    FileHandle.standardError.write(Data("FileStoreCrashWriter: \(error)\n".utf8))
    exit(1)
}
