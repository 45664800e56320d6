import COpenSSL

/// OpenSSL reports failures on a per-thread error queue (`ERR_get_error`). These helpers empty it before an
/// operation, so a stale entry from unrelated code is not blamed on us, and turn it into text afterwards.
enum OpenSSLErrorQueue {
    /// Discards whatever is queued on this thread.
    static func clear() {
        ERR_clear_error()
    }

    /// Every queued error as OpenSSL's text (`ERR_error_string_n`), oldest first, joined by "; "; the queue is
    /// emptied. `fallback` is returned when nothing was queued.
    static func drain(fallback: String) -> String {
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
}
