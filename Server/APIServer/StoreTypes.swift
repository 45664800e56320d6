import APIStore
import HTTPTypes
import ServerKit

// APIStore and ServerKit both name a participant role and a server kind (the store's are database records, the
// kit's travel in tokens and the registry protocol). Inside the apiserver the bare names mean ServerKit's; these
// convert, by their shared raw values.
typealias ParticipantRole = ServerKit.ParticipantRole
typealias ServerKind = ServerKit.ServerKind
typealias EmailAddress = EmailAddressRules

extension ServerKit.ParticipantRole {
    init(_ stored: APIStore.ParticipantRole) {
        self = ServerKit.ParticipantRole(rawValue: stored.rawValue) ?? .participant
    }

    var stored: APIStore.ParticipantRole {
        APIStore.ParticipantRole(rawValue: rawValue) ?? .participant
    }
}

extension ServerKit.ServerKind {
    init(_ stored: APIStore.ServerKind) {
        self = ServerKit.ServerKind(rawValue: stored.rawValue) ?? .sfu
    }

    var stored: APIStore.ServerKind {
        APIStore.ServerKind(rawValue: rawValue) ?? .sfu
    }
}
