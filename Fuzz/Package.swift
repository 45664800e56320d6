// swift-tools-version:6.1
//
// libFuzzer targets, one per parser. Kept out of the main package because a fuzz target has no `main`
// (libFuzzer provides it). Build and run them with `make fuzz` (see scripts/fuzz.sh), which passes
// `-sanitize=fuzzer,address -parse-as-library` and uses its own scratch path.
import PackageDescription

let package = Package(
    name: "MeetingFuzz",
    dependencies: [
        .package(name: "Meeting", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzSTUN",
            dependencies: [.product(name: "STUN", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzRTP",
            dependencies: [.product(name: "RTP", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzRTCP",
            dependencies: [.product(name: "RTP", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzSDP",
            dependencies: [.product(name: "SDP", package: "Meeting")]
        ),
        .executableTarget(
            name: "FuzzDTLS",
            dependencies: [.product(name: "DTLS", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzSMTP",
            dependencies: [.product(name: "SMTP", package: "Meeting")]
        ),
        .executableTarget(
            name: "FuzzICE",
            dependencies: [
                .product(name: "ICE", package: "Meeting"), .product(name: "STUN", package: "Meeting"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzIVF",
            dependencies: [.product(name: "Codecs", package: "Meeting")]
        ),
        .executableTarget(
            name: "FuzzOgg",
            dependencies: [.product(name: "Codecs", package: "Meeting")]
        ),
        .executableTarget(
            name: "FuzzTURNServer",
            dependencies: [
                .product(name: "TURN", package: "Meeting"), .product(name: "STUN", package: "Meeting"),
                .product(name: "ServerKit", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzPeerConnection",
            dependencies: [
                .product(name: "WebRTC", package: "Meeting"), .product(name: "DTLS", package: "Meeting"),
                .product(name: "SDP", package: "Meeting"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
