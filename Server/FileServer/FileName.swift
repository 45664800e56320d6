/// Client-supplied file names (the name shown in a meeting's minutes and in Content-Disposition).
///
/// They never become filesystem paths — stored bytes are named by their SHA-256 and uploads by a random id — so
/// path traversal is impossible by construction. The rules here only refuse names that are surely an attack or a
/// mistake, with a clear message: path separators, `.`/`..`, control characters, and the same after
/// percent-decoding (`%2e%2e%2f`), since a name may pass through URL encoding on its way in.
public enum FileName {
    /// The longest accepted name in UTF-8 bytes (a common filesystem limit, so downloads can be saved as named).
    public static let maximumBytes = 255

    /// Returns `name` if acceptable, or throws ``FileStoreError/invalidName(_:)`` saying why not.
    public static func validated(_ name: String) throws(FileStoreError) -> String {
        guard !name.isEmpty else { throw .invalidName("the name is empty") }
        guard name.utf8.count <= maximumBytes else {
            throw .invalidName("the name has \(name.utf8.count) bytes; at most \(maximumBytes) are allowed")
        }
        var candidate = name
        // Up to three rounds of percent-decoding catch double-encoded separators (%252f).
        for _ in 0..<4 {
            try check(candidate, original: name)
            guard let decoded = percentDecoded(candidate), decoded != candidate else { break }
            candidate = decoded
        }
        return name
    }

    private static func check(_ text: String, original: String) throws(FileStoreError) {
        for scalar in text.unicodeScalars {
            if scalar == "/" || scalar == "\\" {
                throw .invalidName("\(quoted(original)) contains a path separator")
            }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                throw .invalidName("\(quoted(original)) contains a control character")
            }
        }
        let trimmed = text.trimmingWhitespace
        if trimmed == "." || trimmed == ".." || trimmed.isEmpty {
            throw .invalidName("\(quoted(original)) is not a file name")
        }
    }

    /// `%XX` sequences decoded as UTF-8, or nil when the text has none or they do not form valid UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func quoted(_ name: String) -> String {
        "\"" + String(name.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) }) + "\""
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
