import APIStore
import Foundation
import Logging
import SMTP
import ServiceLifecycle

/// Empties the outbox through SMTP: claims due messages (each to exactly one apiserver, for a lease), sends each
/// through the configured servers in order, and marks it sent, due again later (transient failure, exponential
/// back-off) or failed (permanent refusal, or after ``maximumAttempts``). Nothing is lost while SMTP is down.
struct MailDelivery: Service {
    let store: any Store
    let sender: SMTPSender
    let interval: Duration
    let logger: Logger
    let claimer = "apiserver-" + StoreID.random()
    static let maximumAttempts = 12

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await deliverDue(now: Date())
                try? await Task.sleep(for: interval)
            }
        }
    }

    func deliverDue(now: Date) async {
        let messages: [OutboxMessage]
        do {
            messages = try await store.claimMail(claimer: claimer, now: now, leaseUntil: now.addingTimeInterval(300),
                limit: 20)
        } catch {
            logger.error("outbox: cannot claim mail: \(error)")
            return
        }
        for message in messages {
            do {
                _ = try await sender.send(to: message.recipients) { from in Self.withSender(message.message, from) }
                try await store.markMailSent(id: message.id, now: Date())
            } catch let error as SMTPError {
                let retry = error.isTransient && message.attempts < Self.maximumAttempts
                let outcome = retry ? "retrying" : "giving up"
                logger.warning("outbox: message \(message.id) to \(message.recipients): \(error.message); \(outcome)")
                if retry {
                    let delay = min(3600.0, 30.0 * pow(2.0, Double(max(0, message.attempts - 1))))
                    try? await store.markMailRetry(id: message.id, error: error.message,
                        nextAttemptAt: Date().addingTimeInterval(delay))
                } else {
                    try? await store.markMailFailed(id: message.id, error: error.message)
                }
            } catch {
                logger.error("outbox: message \(message.id): \(error)")
            }
        }
    }

    /// The stored message with its From header naming the server's `--mailFrom`, so the header matches the
    /// envelope sender each server uses (SPF/DMARC).
    static func withSender(_ message: [UInt8], _ from: String) -> [UInt8] {
        let text = String(decoding: message, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { return message }
        var lines = text[..<headerEnd.lowerBound].components(separatedBy: "\r\n")
        guard let index = lines.firstIndex(where: { $0.lowercased().hasPrefix("from:") }) else { return message }
        lines[index] = "From: Meeting <\(from)>"
        // Drop folded continuation lines of the old From header.
        while index + 1 < lines.count, lines[index + 1].first == " " || lines[index + 1].first == "\t" {
            lines.remove(at: index + 1)
        }
        return Array((lines.joined(separator: "\r\n") + text[headerEnd.lowerBound...]).utf8)
    }
}
