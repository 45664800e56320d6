import ArgumentParser
import MeetClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `meetclient`: the headless Linux client. Commands and flags only; the logic lives in MeetClient.
@main
struct MeetClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meetclient",
        abstract: "Join meetings from a terminal or a room device, load-test sfuservers, upload minutes files.",
        subcommands: [
            JoinCommand.self,
            BenchCommand.self,
            UploadCommand.self,
            KioskCommand.self,
            DevicesCommand.self,
        ]
    )
}

/// Prints that a subcommand is not built yet and ends with status 2; never pretends to work.
func exitNotBuiltYet(command: String, tracking: String) throws -> Never {
    let message = Array(
        ("\(command): not built yet — planned under issue \(tracking); this build does nothing. "
            + "Its flags are accepted and checked (see `\(command) --help`).\n").utf8
    )
    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    throw ExitCode(2)
}

struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a meeting with microphone/camera (or files, a tone, a test pattern) and a terminal UI.",
        discussion: "Example: meetclient join https://meet.example.com/m/123-456-789 --name 'Room 4' --tone 440 --test-pattern"
    )

    @Argument(help: ArgumentHelp("A join link, or a meeting id with --server.", valueName: "link-or-meeting-id"))
    var meeting: String
    @Option(help: ArgumentHelp("The apiserver's URL, when a meeting id is given.", valueName: "url"))
    var server: String?
    @Option(help: "Your display name.")
    var name: String?
    @Option(name: .customLong("audio-device"), help: ArgumentHelp("ALSA capture device (see `meetclient devices`).", valueName: "pcm"))
    var audioDevice: String?
    @Option(name: .customLong("audio-file"), help: ArgumentHelp("Send audio from a WAV or Ogg/Opus file.", valueName: "file"))
    var audioFile: String?
    @Option(name: .customLong("tone"), help: ArgumentHelp("Send a sine tone of this frequency.", valueName: "hz"))
    var tone: Double?
    @Option(name: .customLong("video-device"), help: ArgumentHelp("V4L2 camera.", valueName: "/dev/videoN"))
    var videoDevice: String?
    @Option(name: .customLong("video-file"), help: ArgumentHelp("Send video from an IVF (VP8) or Y4M file.", valueName: "file"))
    var videoFile: String?
    @Flag(name: .customLong("test-pattern"), help: "Send a generated test pattern as video.")
    var testPattern = false
    @Option(help: ArgumentHelp("Capture and send size.", valueName: "WxH"))
    var size: String = "1280x720"
    @Option(help: "Frames per second.")
    var fps: Int = 30
    @Flag(name: .customLong("no-video"), help: "Send no video.")
    var noVideo = false
    @Option(help: ArgumentHelp("ALSA playback device for what others say.", valueName: "pcm"))
    var playback: String?
    @Option(help: ArgumentHelp("Record received tracks (IVF/Ogg, no re-encoding) into this directory.", valueName: "dir"))
    var record: String?
    @Flag(name: .customLong("stats-json"), help: "Print statistics as JSON lines instead of the terminal UI.")
    var statsJSON = false

    func validate() throws {
        let audioSources = [audioDevice != nil, audioFile != nil, tone != nil].filter { $0 }.count
        if audioSources > 1 { throw ValidationError("Choose one of --audio-device, --audio-file and --tone") }
        let videoSources = [videoDevice != nil, videoFile != nil, testPattern, noVideo].filter { $0 }.count
        if videoSources > 1 { throw ValidationError("Choose one of --video-device, --video-file, --test-pattern and --no-video") }
        do {
            _ = try VideoSize(parsing: size)
        } catch {
            throw ValidationError("--size: \(error)")
        }
        if !(1...60).contains(fps) { throw ValidationError("--fps must be between 1 and 60") }
    }

    func run() async throws {
        try exitNotBuiltYet(command: "meetclient join", tracking: "[client] (needs [webrtc] and [sfu])")
    }
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an sfuserver with many simulated participants in one process.",
        discussion: "Example: meetclient bench --peers 200 --sfu ws://127.0.0.1:8443 --secret S --video-publishers 10 --duration 60s --assert 'loss<0.5%'"
    )

    @Option(help: "Number of simulated participants.")
    var peers: Int
    @Option(help: ArgumentHelp("sfuserver signaling URL (with --secret to mint join tokens).", valueName: "url"))
    var sfu: String?
    @Option(help: "The deployment secret, to mint join tokens for --sfu.")
    var secret: String?
    @Option(help: ArgumentHelp("apiserver URL (with --meeting).", valueName: "url"))
    var server: String?
    @Option(help: "Meeting id on --server.")
    var meeting: String?
    @Option(name: .customLong("video-publishers"), help: "How many peers publish video.")
    var videoPublishers: Int = 0
    @Option(help: ArgumentHelp("How long to run, e.g. 60s or 5m.", valueName: "duration"))
    var duration: String = "30s"
    @Option(help: ArgumentHelp("Peers joining per second.", valueName: "per-second"))
    var ramp: Double = 10
    @Option(help: "speaker or grid.")
    var layout: String = "speaker"
    @Option(help: ArgumentHelp("Write the final statistics as JSON here.", valueName: "file"))
    var json: String?
    @Option(name: .customLong("assert"), help: ArgumentHelp("Fail unless these hold, e.g. 'loss<0.5%,join_p95<500ms'.", valueName: "conditions"))
    var assertions: String?

    func validate() throws {
        if peers < 1 { throw ValidationError("--peers must be at least 1") }
        if (sfu == nil) == (server == nil) { throw ValidationError("Give either --sfu with --secret, or --server with --meeting") }
        if sfu != nil && secret == nil { throw ValidationError("--sfu needs --secret") }
        if server != nil && meeting == nil { throw ValidationError("--server needs --meeting") }
        if videoPublishers < 0 || videoPublishers > peers { throw ValidationError("--video-publishers must be between 0 and --peers") }
        if !["speaker", "grid"].contains(layout) { throw ValidationError("--layout must be speaker or grid") }
    }

    func run() async throws {
        try exitNotBuiltYet(command: "meetclient bench", tracking: "[client] (needs [sfu])")
    }
}

struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload files into a meeting's minutes (resumable), or list and fetch them."
    )

    @Argument(help: "Meeting id.")
    var meeting: String
    @Argument(help: "Files to upload.")
    var files: [String] = []
    @Option(help: ArgumentHelp("The apiserver's URL.", valueName: "url"))
    var server: String

    func run() async throws {
        try exitNotBuiltYet(command: "meetclient upload", tracking: "[client] (needs [fs+alloc])")
    }
}

struct KioskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Run a meeting-room device: pairs with the apiserver and joins the room's meetings by itself."
    )

    @Option(help: ArgumentHelp("The apiserver's URL.", valueName: "url"))
    var server: String
    @Option(help: "The room's name as shown to participants.")
    var room: String?

    func run() async throws {
        try exitNotBuiltYet(command: "meetclient kiosk", tracking: "[client] (needs [api])")
    }
}

struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List ALSA capture/playback devices and V4L2 cameras with their formats."
    )

    func run() async throws {
        try exitNotBuiltYet(command: "meetclient devices", tracking: "[client]")
    }
}
