// libFuzzer target for the SMTP reply parser and client dialogue (Server/SMTP).
//
// The input is split at its first byte into two chunks and fed to `SMTPReplyParser` in pieces; every reply it
// yields must have a code in 200–599 and at least one line, and re-serializing the replies and parsing them again
// must give the same replies (a mismatch traps on purpose: that is a finding). The replies also drive an
// `SMTPClientDialogue` (with STARTTLS acknowledged at once): whatever the server says, the dialogue must never
// trap and must stay within its outputs. Parsing itself must never trap on any input.
import SMTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSMTP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let first = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let cut = body.isEmpty ? 0 : Int(first) % (body.count + 1)

    var parser = SMTPReplyParser(maximumLineLength: 512, maximumLines: 64)
    var replies: [SMTPReply] = []
    for chunk in [body[..<cut], body[cut...]] {
        parser.append(chunk)
        while let reply = try? parser.nextReply() {
            guard (200..<600).contains(reply.code), !reply.lines.isEmpty, reply.lines.count <= 64 else {
                fatalError("implausible reply \(reply)")
            }
            replies.append(reply)
        }
    }

    // Round trip: what parsed, serialized again, parses to the same replies (text lines without CR/LF only).
    let clean = replies.filter { $0.lines.allSatisfy { !$0.contains("\r") && !$0.contains("\n") && !$0.contains("\u{FFFD}") } }
    var wire: [UInt8] = []
    for reply in clean {
        for (index, line) in reply.lines.enumerated() {
            let separator = index == reply.lines.count - 1 ? " " : "-"
            wire += Array("\(reply.code)\(separator)\(line)\r\n".utf8)
        }
    }
    var again = SMTPReplyParser(maximumLineLength: 4096, maximumLines: 64)
    again.append(wire)
    var reparsed: [SMTPReply] = []
    while let reply = try? again.nextReply() { reparsed.append(reply) }
    guard reparsed == clean else { fatalError("replies changed across serialize/parse: \(clean) vs \(reparsed)") }

    var dialogue = SMTPClientDialogue(
        configuration: SMTPDialogueConfiguration(clientName: "fuzz.example", security: .startTLSIfAvailable,
            credentials: first & 1 == 0 ? SMTPCredentials(username: "u", password: "p") : nil,
            allowsAuthenticationWithoutTLS: true),
        envelope: SMTPEnvelope(sender: "a@example.org", recipients: ["b@example.net", "c@example.net"]),
        message: Array("Subject: x\r\n\r\n.\r\n".utf8))
    var outputs = 0
    for reply in replies {
        dialogue.handleReply(reply)
        while let output = dialogue.pollOutput() {
            outputs += 1
            if output == .startTLS { dialogue.handleTLSEstablished() }
            guard outputs < 10_000 else { fatalError("dialogue emits without end") }
        }
    }
    dialogue.handleConnectionClosed()
    guard dialogue.outcome != nil else { fatalError("dialogue ended without an outcome") }
    return 0
}
