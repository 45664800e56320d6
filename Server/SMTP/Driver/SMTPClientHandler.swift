import NIOCore
import NIOSSL
import NIOTLS

/// The NIO side of one ``SMTPClientDialogue``: feeds received bytes through ``SMTPReplyParser`` into the dialogue,
/// writes what it emits, inserts a TLS client handler in front of itself when STARTTLS is agreed, and keeps the
/// timers. Lives on its channel's event loop; completes `promise` exactly once.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var dialogue: SMTPClientDialogue
    private var parser = SMTPReplyParser()
    private let promise: EventLoopPromise<SMTPDeliveryReport>
    private let timeouts: SMTPTimeouts
    private let tlsContext: NIOSSLContext?
    private let serverHostname: String?
    private let serverLabel: String
    private var context: ChannelHandlerContext?
    private var replyTimer: Scheduled<Void>?
    private var totalTimer: Scheduled<Void>?
    /// A TLS handshake is under way (implicit TLS before the greeting, or after STARTTLS's 220).
    private var tlsPending: Bool
    private var completed = false

    init(dialogue: SMTPClientDialogue, promise: EventLoopPromise<SMTPDeliveryReport>, timeouts: SMTPTimeouts,
        tlsContext: NIOSSLContext?, serverHostname: String?, serverLabel: String, implicitTLS: Bool)
    {
        self.dialogue = dialogue
        self.promise = promise
        self.timeouts = timeouts
        self.tlsContext = tlsContext
        self.serverHostname = serverHostname
        self.serverLabel = serverLabel
        self.tlsPending = implicitTLS
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        totalTimer = loop.scheduleTask(in: timeouts.total) { [self] in
            dialogue.handleTimeout()
            drain()
        }
        armReplyTimer()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { parser.append(bytes) }
        while !dialogue.isFinished {
            do {
                guard let reply = try parser.nextReply() else { break }
                armReplyTimer()
                dialogue.handleReply(reply)
            } catch {
                dialogue.handleMalformedReply(error)
            }
            drain()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            tlsPending = false
            armReplyTimer()
            dialogue.handleTLSEstablished()
            drain()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let isTLS = tlsPending || error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
        dialogue.handleConnectionClosed(reason: "\(error)", code: isTLS ? .tlsFailed : .connectionClosed)
        drain()
    }

    func channelInactive(context: ChannelHandlerContext) {
        dialogue.handleConnectionClosed(reason: parser.hasPartialReply ? "in the middle of a reply" : nil)
        drain()
        complete()
        context.fireChannelInactive()
    }

    private func armReplyTimer() {
        guard let context else { return }
        replyTimer?.cancel()
        replyTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeouts.reply) { [self] in
            dialogue.handleTimeout()
            drain()
        }
    }

    /// Carries out everything the dialogue asked for.
    private func drain() {
        guard let context else { return }
        var wrote = false
        while let output = dialogue.pollOutput() {
            switch output {
            case .send(let bytes):
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
                wrote = true
            case .startTLS:
                if wrote { context.flush(); wrote = false }
                startTLS(context: context)
            case .close:
                if wrote { context.flush(); wrote = false }
                complete()
                context.close(promise: nil)
            }
        }
        if wrote {
            armReplyTimer()
            context.flush()
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        guard let tlsContext else {
            dialogue.handleConnectionClosed(reason: "no TLS configuration", code: .tlsFailed)
            return drain()
        }
        do {
            let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
            tlsPending = true
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
            armReplyTimer()
        } catch {
            dialogue.handleConnectionClosed(reason: "cannot start TLS: \(error)", code: .tlsFailed)
            drain()
        }
    }

    private func complete() {
        guard !completed else { return }
        completed = true
        replyTimer?.cancel()
        totalTimer?.cancel()
        switch dialogue.outcome {
        case .success(var report):
            report.server = serverLabel
            promise.succeed(report)
        case .failure(var error):
            error.message = "\(serverLabel): \(error.message)"
            promise.fail(error)
        case nil:
            promise.fail(SMTPError(.connectionClosed, "\(serverLabel): connection ended during \(dialogue.stage)",
                transient: true))
        }
    }
}
