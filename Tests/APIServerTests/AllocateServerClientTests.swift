import APIServer
import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import Testing

@Suite("allocateserver client (the deployment doc's contract)")
struct AllocateServerClientTests {
    @Test("Query strings as the contract writes them; e-mail percent-encoded; an existing query is extended")
    func queries() {
        let client = AllocateServerClient(baseURL: "http://10.0.0.2/k3xq9")
        #expect(client.mediaURL(email: "ada+test@example.com", beginAt: 1_900_000_000, endAt: 1_900_003_600)
            == "http://10.0.0.2/k3xq9?Kind=SFUTURN&Email=ada%2Btest@example.com&BeginAt=1900000000&EndAt=1900003600")
        #expect(client.mediaURL(email: "ada@example.com", beginAt: nil, endAt: nil)
            == "http://10.0.0.2/k3xq9?Kind=SFUTURN&Email=ada@example.com&BeginAt=0&EndAt=0")
        #expect(AllocateServerClient(baseURL: "https://a.example/p?key=1").fileURL(email: "bob@example.com")
            == "https://a.example/p?key=1&Kind=FS&Email=bob@example.com")
    }

    @Test("Non-200 is not-ready; a 200 that breaks the contract is a bad answer; nothing listening is unreachable")
    func failures() async throws {
        let allocator = try await TestAllocateServer.start()
        do {
            let client = AllocateServerClient(baseURL: allocator.url)
            allocator.answerMedia(.serviceUnavailable, "{}")
            await #expect(throws: AllocationFailure.notReady(status: 503)) {
                _ = try await client.allocateMedia(email: "ada@example.com", beginAt: nil, endAt: nil)
            }
            allocator.answerMedia(.ok, #"{"sfu":"no port here","turn":"1.2.3.4:3478"}"#)
            do {
                _ = try await client.allocateMedia(email: "ada@example.com", beginAt: nil, endAt: nil)
                Issue.record("a bad answer was accepted")
            } catch {
                guard case .badAnswer = error else { Issue.record("\(error)"); return }
            }
            allocator.answerFiles(.ok, #"{"fs":"fs9.test:443"}"#)
            #expect(try await client.allocateFiles(email: "ada@example.com") == "fs9.test:443")
        } catch {
            await allocator.stop()
            throw error
        }
        let port = allocator.port
        await allocator.stop()
        let gone = AllocateServerClient(baseURL: "http://127.0.0.1:\(port)/gone", timeout: .seconds(2))
        do {
            _ = try await gone.allocateMedia(email: "ada@example.com", beginAt: nil, endAt: nil)
            Issue.record("an answer came from a stopped server")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
        }
    }
}
