import Allocator
import Foundation
import Testing

@Suite("AllocatorConfiguration")
struct AllocatorConfigurationTests {
    static func parse(_ json: String) throws(AllocatorError) -> AllocatorConfiguration {
        try AllocatorConfiguration.parse(Data(json.utf8), relativeTo: "/etc/meeting")
    }

    @Test("The example configurations in docs/allocateserver parse")
    func examples() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/allocateserver")
        let pool = try AllocatorConfiguration.load(path: docs.appendingPathComponent("pool.json").path)
        #expect(pool.scheduled == .pool(["1.sfu.example.com:443", "2.sfu.example.com:443", "3.sfu.example.com:443"]))
        let least = try AllocatorConfiguration.load(path: docs.appendingPathComponent("least-loaded.json").path)
        #expect(least.scheduled == .leastLoaded && least.turn.isEmpty)
        let provision = try AllocatorConfiguration.load(path: docs.appendingPathComponent("provision.json").path)
        guard case .provision(let settings) = provision.instant else { Issue.record("\(provision.instant)"); return }
        #expect(settings.createBefore == 7200 && settings.deleteAfter == 7200 && settings.instantLifetime == 10800)
        #expect(settings.create == ["/usr/local/bin/sfu-vm", "create"])
    }

    @Test("Bad configurations are refused with the field named", arguments: [
        (#"{"turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"pool","sfu":["c:3"]},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "state"),
        (#"{"state":"s","turn":["a"],"fs":["b:2"],"scheduled":{"policy":"pool","sfu":["c:3"]},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "turn[0]"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"pool","sfu":[]},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "scheduled.sfu"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"magic"},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "scheduled.policy"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"leastLoaded"},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "scheduled.policy"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"provision","create":["make-sfu"],"delete":["/bin/x"]},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "scheduled.create[0]"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"provision","create":["/bin/x"],"delete":["/bin/x"],"createBeforeSeconds":-1},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "scheduled.createBeforeSeconds"),
        (#"{"state":"s","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"pool","sfu":["c:3"]},"instant":{"policy":"pool","sfu":["c:3"]},"tyop":1}"#, "tyop"),
        (#"{"state":"s","turn":["a:1"],"fs":[],"scheduled":{"policy":"pool","sfu":["c:3"]},"instant":{"policy":"pool","sfu":["c:3"]}}"#, "fs"),
        (#"[1]"#, "(file)"),
    ])
    func refused(json: String, field: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("accepted: \(json)")
        } catch {
            guard case .badConfiguration(let named, _) = error else { Issue.record("\(error)"); return }
            #expect(named == field, "\(error)")
            #expect(error.code == "allocator.config")
        }
    }

    @Test("A relative state path is resolved against the configuration's directory")
    func relativeState() throws {
        let configuration = try Self.parse(#"{"state":"alloc.sqlite","turn":["a:1"],"fs":["b:2"],"scheduled":{"policy":"pool","sfu":["c:3"]},"instant":{"policy":"pool","sfu":["c:3"]}}"#)
        #expect(configuration.stateDatabase == "/etc/meeting/alloc.sqlite")
    }
}
