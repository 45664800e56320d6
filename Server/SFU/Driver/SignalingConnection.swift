import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import SFUCore
import ServerKit
import WebRTCDriver

/// One participant's signaling WebSocket: verifies the join token, then relays messages to the media loop and
/// writes what the room sends back. Bad input gets a typed error (docs/signaling.md); a fatal one closes the
/// connection after the error is written, and the room is unaffected.
struct SignalingConnection {
    let sessionID: Int
    let settings: SFUServerSettings
    let socket: MediaSocket
    let engine: NIOLoopBound<SFUEngine>
    let logger: Logger

    /// Verifies a join token: signed with the deployment's join key, not expired, and for this sfuserver.
    static func verify(_ token: String?, settings: SFUServerSettings, now: Int64) -> Result<JoinClaims, SignalingError> {
        guard let token, !token.isEmpty else {
            return .failure(SignalingError(.invalidToken, "connect to /rtc?token=<join token from the apiserver>"))
        }
        do {
            let claims = try settings.tokens.join.verify(token, as: JoinClaims.self, now: now)
            guard claims.sfu == settings.domainAddress else {
                return .failure(SignalingError(.invalidToken,
                    "the join token is for sfuserver \(claims.sfu), this is \(settings.domainAddress)"))
            }
            return .success(claims)
        } catch {
            if error.code == .expired {
                return .failure(SignalingError(.expiredToken, "the join token has expired; join again through the apiserver"))
            }
            return .failure(SignalingError(.invalidToken, "the join token is not valid: \(error.message)"))
        }
    }

    func serve(token: String?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let claims: JoinClaims
        switch Self.verify(token, settings: settings, now: Int64(Date().timeIntervalSince1970)) {
        case .failure(let error):
            try await outbound.write(.text(ServerMessage.error(error).encoded()))
            return
        case .success(let verified):
            claims = verified
        }
        let (stream, continuation) = AsyncStream.makeStream(of: SignalingOutput.self)
        let sink = SignalingSink(continuation: continuation)
        let engine = self.engine
        let sessionID = self.sessionID
        let accepted = try await socket.eventLoop.submit {
            engine.value.open(session: sessionID, claims: claims, sink: sink)
        }.get()
        defer {
            continuation.finish()
            socket.eventLoop.execute { engine.value.closed(session: sessionID) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await output in stream {
                    switch output {
                    case .text(let text): try await outbound.write(.text(text))
                    case .close: return
                    }
                }
            }
            if accepted {
                group.addTask { [socket] in
                    for try await message in inbound.messages(maxSize: maximumSignalingMessageBytes) {
                        guard case .text(let text) = message else {
                            sink.send(.error(SignalingError(.malformedMessage, "messages are JSON text frames")))
                            continue
                        }
                        let decoded: ClientMessage
                        switch Result(catching: { () throws(SignalingError) in try ClientMessage.decode(text) }) {
                        case .success(let message):
                            decoded = message
                        case .failure(let error):
                            if error.isFatal { sink.close(with: error) } else { sink.send(.error(error)) }
                            continue
                        }
                        let now = Int64(Date().timeIntervalSince1970)
                        socket.eventLoop.execute { engine.value.message(session: sessionID, decoded, nowUnixSeconds: now) }
                    }
                    // The participant closed the connection: leave the room now rather than on a timeout.
                    continuation.yield(.close)
                }
            }
            try await group.next()
            group.cancelAll()
        }
        logger.debug("signaling session \(sessionID) of \(claims.participantID) in \(claims.meetingID) ended")
    }
}
