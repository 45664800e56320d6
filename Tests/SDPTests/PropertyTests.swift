import SDP
import TestSupport
import Testing

@Suite("Properties")
struct PropertyTests {
    /// serialize → parse gives back the same model, for random valid models.
    @Test(arguments: 0..<4)
    func randomModelsRoundTrip(batch: Int) throws {
        for iteration in 0..<1000 {
            let seed = UInt64(batch) << 32 | UInt64(iteration)
            var generator = RandomDescriptions(seed: seed)
            let description = generator.sessionDescription()
            let text = description.serialize()
            do {
                let parsed = try SessionDescription.parse(text)
                #expect(parsed == description, "seed \(seed):\n\(text)")
                #expect(parsed.serialize() == text, "seed \(seed)")
                if parsed != description { return }
            } catch {
                Issue.record("seed \(seed): \(error)\n\(text)")
                return
            }
        }
    }

    /// Random candidates survive the trickle form (`candidate:…`) too.
    @Test func randomCandidatesRoundTrip() throws {
        var generator = RandomDescriptions(seed: 0xC0FFEE)
        for _ in 0..<3000 {
            let candidate = generator.candidate()
            let text = candidate.serialize()
            #expect(try ICECandidate.parse(text) == candidate, "\(text)")
            #expect(try ICECandidate.parse("a=" + text + "\r\n") == candidate)
        }
    }

    /// Mutated real descriptions never crash: parsing either throws or returns a model that round-trips.
    @Test(arguments: CapturedSDPTests.files)
    func mutatedCapturesNeverCrash(file: String) throws {
        let original = Array(try Fixtures.text(file).utf8)
        var random = SplitMix64(seed: UInt64(truncatingIfNeeded: file.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
        var parsedCount = 0
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<random.int(1...4) {
                mutate(&bytes, random: &random)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let description = try? SessionDescription.parse(text) {
                parsedCount += 1
                let again = try SessionDescription.parse(description.serialize())
                #expect(again == description, "mutant of \(file) did not round-trip:\n\(text)")
                #expect(again.serialize() == description.serialize())
            }
            // (Only lines that may be candidates: every throw is costly under Swift Testing, which records a
            // backtrace for each.)
            for line in text.utf8.split(separator: 10) where line.starts(with: "a=candidate:".utf8) || line.starts(with: "candidate:".utf8) {
                if let candidate = try? ICECandidate.parse(String(Substring(line))) {
                    #expect(try ICECandidate.parse(candidate.serialize()) == candidate)
                }
            }
        }
        #expect(parsedCount > 0)
    }

    /// Line-level and byte-level mutations.
    private func mutate(_ bytes: inout [UInt8], random: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes.append(random.value())
            return
        }
        let position = random.int(0...(bytes.count - 1))
        var lineStarts: [Int] {
            var starts = [0]
            for index in bytes.indices where bytes[index] == 10 && index + 1 < bytes.count { starts.append(index + 1) }
            return starts
        }
        switch random.int(0...9) {
        case 0: bytes[position] = random.value()
        case 1: bytes.remove(at: position)
        case 2: bytes.insert(random.pick([0, 13, 10, 32, 58, 59, 61, 47, 126, 0xC3, 0xFF]), at: position)
        case 3: bytes.removeSubrange(position..<bytes.count)
        case 4:
            // Drop a whole line.
            let start = random.pick(lineStarts)
            let end = bytes[start...].firstIndex(of: 10).map { $0 + 1 } ?? bytes.count
            bytes.removeSubrange(start..<end)
        case 5:
            // Duplicate a line elsewhere.
            let starts = lineStarts
            let start = random.pick(starts)
            let end = bytes[start...].firstIndex(of: 10).map { $0 + 1 } ?? bytes.count
            let line = Array(bytes[start..<end])
            bytes.insert(contentsOf: line, at: random.pick(starts))
        case 6:
            // Replace a digit run with a huge number.
            if bytes[position] >= 48 && bytes[position] <= 57 {
                bytes.insert(contentsOf: Array("99999999999999999999".utf8), at: position)
            } else {
                bytes[position] = 48
            }
        case 7:
            // Insert a random known attribute name at a line start.
            let name = random.pick([
                "a=candidate:", "a=fingerprint:", "a=rtpmap:", "a=simulcast:", "a=rid:", "a=ssrc:", "a=extmap:",
                "m=", "c=", "o=", "t=", "r=", "a=setup:", "b=", "a=fmtp:", "a=rtcp:", "a=group:", "a=msid:",
            ])
            bytes.insert(contentsOf: Array(name.utf8), at: random.pick(lineStarts))
        case 8: bytes.swapAt(position, random.int(0...(bytes.count - 1)))
        default:
            // Change CRLF into LF.
            if let cr = bytes[position...].firstIndex(of: 13) { bytes.remove(at: cr) }
        }
    }
}
