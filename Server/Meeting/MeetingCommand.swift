import ArgumentParser

/// `meeting`: one binary, one subcommand per server (DESIGN.md §1). This target holds commands and flag
/// declarations only; each server's logic lives in its own library.
@main
struct MeetingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meeting",
        abstract: "Self-hosted, scalable video meetings: every server of a deployment in one binary.",
        discussion: """
            A deployment runs one apiserver (the hub), several sfuservers (media), a turnserver and an fsserver, \
            all sharing one --secret. The apiserver asks an allocateserver which servers serve each meeting. \
            To try everything on one machine, run `meeting up`.
            """,
        subcommands: [
            APIServerCommand.self,
            SFUServerCommand.self,
            TURNServerCommand.self,
            FSServerCommand.self,
            AllocateServerCommand.self,
            UpCommand.self,
        ]
    )
}
