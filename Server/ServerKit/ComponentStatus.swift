/// Which parts of the system exist yet. A subcommand whose component is not built says so plainly and exits
/// with status 2 (``notBuiltExitStatus``) instead of pretending to run.
public enum ComponentStatus {
    /// The exit status of a subcommand whose component is not built yet (2, as for a usage error: the request
    /// cannot be served by this binary).
    public static let notBuiltExitStatus: Int32 = 2

    /// The message printed to standard error by such a subcommand.
    /// - Parameters:
    ///   - command: the full command, e.g. `meeting sfuserver`.
    ///   - tracking: the issue that builds it, e.g. `[sfu]`.
    public static func notBuiltMessage(command: String, tracking: String) -> String {
        """
        \(command): not built yet — this subcommand is planned under issue \(tracking) and does nothing in this \
        build. Its flags are accepted and checked so that deployment scripts can be prepared \
        (see `\(command) --help`), but no server is started.
        """
    }
}
