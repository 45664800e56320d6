import CSRTP

/// libsrtp2 must be initialised once per process before any session is created (`srtp_init`). Swift initialises a
/// global exactly once, on first use, even when several threads race for it, so this is the thread-safe "once".
enum SRTPLibrary {
    /// The raw `srtp_err_status_t` of our single `srtp_init()` call, with "already initialised" counted as ok.
    ///
    /// If other code in the process (another library, a benchmark's reference) called `srtp_init` first, libsrtp
    /// 2.5 answers a second call with `srtp_err_status_bad_param` because its ciphers are already registered; the
    /// library is then ready, so that status is accepted too.
    private static let initializationStatus: UInt32 = {
        let status = srtp_init()
        return status == srtp_err_status_bad_param ? srtp_err_status_ok.rawValue : status.rawValue
    }()

    /// Initialises libsrtp if that has not happened yet; throws if it failed.
    static func ensureInitialized() throws(SRTPError) {
        let status = initializationStatus
        guard status == srtp_err_status_ok.rawValue else { throw .initializationFailed(status: status) }
    }
}
