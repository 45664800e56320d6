/// The JSON resources of RFC 8555 §7.1 that the client reads.
struct ACMEDirectory: Decodable, Sendable {
    var newNonce: String
    var newAccount: String
    var newOrder: String
}

/// An order (RFC 8555 §7.1.3).
struct ACMEOrder: Decodable, Sendable {
    var status: String
    var authorizations: [String]
    var finalize: String
    var certificate: String?
    var error: ACMEProblem?
}

/// An authorization (RFC 8555 §7.1.4).
struct ACMEAuthorization: Decodable, Sendable {
    struct Identifier: Decodable, Sendable {
        var type: String
        var value: String
    }

    struct Challenge: Decodable, Sendable {
        var type: String
        var url: String
        var status: String
        var token: String?
        var error: ACMEProblem?
    }

    var status: String
    var identifier: Identifier
    var challenges: [Challenge]
}

/// A problem document (RFC 8555 §6.7, RFC 7807).
struct ACMEProblem: Decodable, Sendable, Hashable {
    var type: String?
    var detail: String?

    var summary: String { [type, detail].compactMap { $0 }.joined(separator: ": ") }
}
