import CSRTP

/// libsrtp2 must be initialised once per process before any session is created (`srtp_init`). Swift initialises a
/// global exactly once, on first use, even when several threads race for it, so this is the thread-safe "once".
enum SRTPLibrary {
    /// The raw `srtp_err_status_t` of the single `srtp_init()` call.
    private static let initializationStatus: UInt32 = srtp_init().rawValue

    /// Initialises libsrtp if that has not happened yet; throws if it failed.
    static func ensureInitialized() throws(SRTPError) {
        let status = initializationStatus
        guard status == srtp_err_status_ok.rawValue else { throw .initializationFailed(status: status) }
    }

    /// libsrtp's version string, e.g. "libsrtp2 2.5.0".
    static var version: String {
        guard let text = srtp_get_version_string() else { return "libsrtp2" }
        return String(cString: text)
    }
}
