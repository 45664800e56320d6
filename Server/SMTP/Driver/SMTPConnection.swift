import NIOCore
import NIOPosix
import NIOSSL

/// One delivery attempt to one server over TCP: connect, run the dialogue, close.
public enum SMTPConnection {
    /// Delivers `message` to `envelope`'s recipients through `server`.
    ///
    /// Returns the per-recipient report when the server accepted the message for at least one recipient; throws
    /// an ``SMTPError`` saying whether a retry (``SMTPError/isTransient``) or another server
    /// (``SMTPError/triesNextServer``) may help.
    public static func deliver(_ message: [UInt8], envelope: SMTPEnvelope, through server: SMTPServerConfiguration,
        timeouts: SMTPTimeouts = SMTPTimeouts(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws(SMTPError) -> SMTPDeliveryReport
    {
        let needsTLS = server.security != .plain
        let tlsContext = needsTLS ? try makeTLSContext(trust: server.trust) : nil
        let hostname = isIPAddress(server.host) ? nil : server.host
        let implicitTLS = server.security == .implicitTLS
        let dialogue = SMTPClientDialogue(configuration: server.dialogueConfiguration, envelope: envelope,
            message: message, tlsActive: implicitTLS)
        let loop = group.next()
        let promise = loop.makePromise(of: SMTPDeliveryReport.self)
        let label = server.description
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeouts.connect)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: hostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(dialogue: dialogue,
                        promise: promise, timeouts: timeouts, tlsContext: tlsContext, serverHostname: hostname,
                        serverLabel: label, implicitTLS: implicitTLS))
                }
            }
        do {
            _ = try await bootstrap.connect(host: server.host, port: server.port).get()
        } catch {
            promise.fail(SMTPError(.connectionFailed, "\(label): cannot connect: \(error)", transient: true))
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError(.connectionClosed, "\(label): \(error)", transient: true)
        }
    }

    static func makeTLSContext(trust: SMTPTLSTrust) throws(SMTPError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if case .certificateAuthorityFile(let path) = trust {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                throw SMTPError(.tlsFailed, "cannot read the CA file \(path): \(error)", transient: false)
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPError(.tlsFailed, "cannot set up TLS: \(error)", transient: false)
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
