import COpenSSL

/// Small bridges to OpenSSL shared by the ACME key, CSR and certificate code.
enum ACMEOpenSSL {
    static func clearErrors() { ERR_clear_error() }

    /// OpenSSL's queued errors as text (emptying the queue), or `fallback`.
    static func errors(fallback: String) -> String {
        var messages: [String] = []
        var text = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            let message = text.withUnsafeMutableBufferPointer { buffer -> String in
                guard let base = buffer.baseAddress else { return "error \(code)" }
                ERR_error_string_n(code, base, buffer.count)
                return String(cString: base)
            }
            messages.append(message)
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }

    static func cryptoError(_ what: String) -> ACMEError {
        ACMEError(.crypto, errors(fallback: what))
    }

    /// Runs `body` with a memory BIO reading `text`.
    static func withReadBIO<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
        let bytes = Array(text.utf8)
        guard bytes.count < Int(Int32.max) else { return nil }
        return bytes.withUnsafeBytes { raw -> T? in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// Runs `write` into a memory BIO and returns what it wrote as text.
    static func writeToString(_ write: (OpaquePointer) -> Bool) -> String? {
        guard let method = BIO_s_mem(), let bio = BIO_new(method) else { return nil }
        defer { BIO_free(bio) }
        guard write(bio) else { return nil }
        let pending = Int(BIO_ctrl_pending(bio))
        var buffer = [UInt8](repeating: 0, count: pending)
        let read = buffer.withUnsafeMutableBytes { raw in
            raw.baseAddress.map { BIO_read(bio, $0, Int32(pending)) } ?? -1
        }
        guard read == pending else { return nil }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Runs an OpenSSL `i2d_*` encoder twice: for the length, then into a buffer of that length.
    static func encodeDER(_ encoder: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
        let length = encoder(nil)
        guard length > 0 else { return nil }
        var output = [UInt8](repeating: 0, count: Int(length))
        let written = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encoder(&cursor)
        }
        return written == length ? output : nil
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8]? {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    &length, EVP_sha256(), nil) == 1
            }
        }
        return ok && length == 32 ? digest : nil
    }
}
