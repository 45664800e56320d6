// swift-tools-version:6.1
//
// Meeting — a self-hosted, scalable, enterprise video-meeting system.
// The layout follows docs/architecture.md: Media/ (pure protocol and media code), Server/ (the `meeting`
// binary and one library per server), Client/ (the `meetclient` binary), Tests/, Fixtures/.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// A `.systemLibrary` target under Media/System with its pkg-config name and the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Media/System/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "Meeting",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "meeting", targets: ["Meeting"]),
        .executable(name: "meetclient", targets: ["MeetClientCLI"]),
        .library(name: "STUN", targets: ["STUN"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "WebRTC", targets: ["WebRTC"]),
        .library(name: "WebRTCDriver", targets: ["WebRTCDriver"]),
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "SMTP", targets: ["SMTP"]),
        .library(name: "MIME", targets: ["MIME"]),
        .library(name: "ICalendar", targets: ["ICalendar"]),
        .library(name: "Database", targets: ["Database"]),
        .library(name: "APIStore", targets: ["APIStore"]),
        .library(name: "APIServer", targets: ["APIServer"]),
        .library(name: "ACME", targets: ["ACME"]),
        .library(name: "TURN", targets: ["TURN"]),
        .library(name: "FileServer", targets: ["FileServer"]),
        .library(name: "Allocator", targets: ["Allocator"]),
        .library(name: "ServerKit", targets: ["ServerKit"]),
        .library(name: "SFUCore", targets: ["SFUCore"]),
        .library(name: "SFU", targets: ["SFU"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // MARK: C libraries (Debian -dev packages; .ci/run installs them) and the shim for macros/variadics.
        systemLibrary("COpenSSL", pkgConfig: "openssl", apt: "libssl-dev"),
        systemLibrary("CSRTP", pkgConfig: "libsrtp2", apt: "libsrtp2-dev"),
        systemLibrary("COpus", pkgConfig: "opus", apt: "libopus-dev"),
        systemLibrary("CVPX", pkgConfig: "vpx", apt: "libvpx-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        systemLibrary("CV4L2", pkgConfig: "libv4l2", apt: "libv4l-dev"),
        // Server-only C libraries: the apiserver's databases.
        .systemLibrary(name: "CSQLite", path: "Server/System/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMariaDB", path: "Server/System/CMariaDB", pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]),
        .target(
            name: "CMediaShims",
            dependencies: ["COpenSSL", "COpus", "CVPX", "CV4L2"],
            path: "Media/CMediaShims"
        ),

        // MARK: Media — wire formats and media code. Imports at most NIOCore; never Server or Client.
        .target(
            name: "STUN",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), "COpenSSL"],
            path: "Media/STUN",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RTP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            path: "Media/RTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SDP",
            path: "Media/SDP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DTLS",
            dependencies: ["COpenSSL", "CMediaShims", .product(name: "NIOCore", package: "swift-nio")],
            path: "Media/DTLS",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SRTP",
            dependencies: ["CSRTP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Media/SRTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ICE",
            dependencies: ["STUN", "SDP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Media/ICE",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WebRTC",
            dependencies: ["ICE", "DTLS", "SRTP", "RTP", "SDP", "STUN", .product(name: "NIOCore", package: "swift-nio")],
            path: "Media/WebRTC",
            swiftSettings: swiftSettings
        ),
        // The one Media module with sockets: the NIO driver and async API around the sans-IO PeerConnection.
        .target(
            name: "WebRTCDriver",
            dependencies: [
                "WebRTC", "ICE", "DTLS", "SRTP", "RTP", "SDP", "STUN",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Media/WebRTCDriver",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Codecs",
            dependencies: ["COpus", "CVPX", "CMediaShims"],
            path: "Media/Codecs",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MediaFixtures",
            dependencies: ["Codecs"],
            path: "Fixtures/Generator",
            swiftSettings: swiftSettings
        ),

        // MARK: Server — one library per server, the `meeting` executable holds commands only.
        .target(
            name: "ServerKit",
            dependencies: [
                "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Server/ServerKit",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "APIServer",
            dependencies: [
                "ServerKit", "APIStore", "Database", "SMTP", "MIME", "ICalendar", "ACME",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Server/APIServer",
            swiftSettings: swiftSettings
        ),
        // The sfuserver: SFUCore is the sans-IO room (signaling, membership, speakers, slots, RTP rewriting);
        // SFU is its NIO driver (WebSocket /rtc, PeerConnections on WebRTCDriver, forwarding, registry, metrics).
        .target(
            name: "SFUCore",
            dependencies: ["ServerKit", "RTP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Server/SFU/Core",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SFU",
            dependencies: [
                "SFUCore", "ServerKit", "WebRTCDriver", "WebRTC", "ICE", "RTP", "SDP", "DTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Server/SFU/Driver",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TURN",
            dependencies: [
                "STUN", "ServerKit", "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Server/TURN",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SMTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Server/SMTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MIME",
            path: "Server/MIME",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ICalendar",
            dependencies: ["MIME"],
            path: "Server/ICalendar",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Database",
            dependencies: [
                "CSQLite", "CMariaDB",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Server/Database",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "APIStore",
            dependencies: ["Database"],
            path: "Server/APIStore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ACME",
            dependencies: [
                "COpenSSL", "CMediaShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Server/ACME",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FileServer",
            dependencies: [
                "Database", "COpenSSL",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Server/FileServer",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Allocator",
            dependencies: [
                "Database", "APIStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Server/Allocator",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Meeting",
            dependencies: [
                "ServerKit",
                "TURN",
                "APIServer",
                "Allocator",
                "SFU",
                "SFUCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Server/Meeting",
            swiftSettings: swiftSettings
        ),

        // MARK: Client
        .target(
            name: "MeetClient",
            path: "Client/MeetClient",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MeetClientCLI",
            dependencies: [
                "MeetClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Client/MeetClientCLI",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemLibrariesTests",
            dependencies: ["CMediaShims", "COpenSSL", "CSRTP", "COpus", "CVPX", "CALSA", "CV4L2", "SRTP", "TestSupport"],
            path: "Tests/SystemLibrariesTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "STUNTests",
            dependencies: ["STUN", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/STUNTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RTPTests",
            dependencies: ["RTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/RTPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SDPTests",
            dependencies: ["SDP", "TestSupport"],
            path: "Tests/SDPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DTLSTests",
            dependencies: ["DTLS", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/DTLSTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SRTPTests",
            dependencies: ["SRTP", "DTLS", "COpenSSL", "CSRTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/SRTPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ICETests",
            dependencies: ["ICE", "STUN", "SDP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/ICETests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebRTCTests",
            dependencies: [
                "WebRTC", "ICE", "DTLS", "SRTP", "RTP", "SDP", "STUN", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/WebRTCTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebRTCDriverTests",
            dependencies: [
                "WebRTCDriver", "WebRTC", "ICE", "SRTP", "RTP", "SDP", "Codecs", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/WebRTCDriverTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CodecsTests",
            dependencies: ["Codecs", "RTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/CodecsTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TURNClientTests",
            dependencies: [
                "ICE", "STUN", "TURN", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/TURNClientTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SFUTests",
            dependencies: [
                "SFU", "SFUCore", "ServerKit", "RTP", "WebRTC", "WebRTCDriver", "SDP", "Codecs", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SFUTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TURNTests",
            dependencies: [
                "TURN", "STUN", "ServerKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TURNTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SMTPTests",
            dependencies: [
                "SMTP", "MIME", "ICalendar", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/SMTPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ACMETests",
            dependencies: [
                "ACME", "TestSupport", "Meeting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/ACMETests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MIMETests",
            dependencies: ["MIME", "ICalendar", "TestSupport"],
            path: "Tests/MIMETests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DatabaseTests",
            dependencies: ["Database", "TestSupport"],
            path: "Tests/DatabaseTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APIStoreTests",
            dependencies: ["APIStore", "Database", "TestSupport"],
            path: "Tests/APIStoreTests",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FileStoreCrashWriter",
            dependencies: ["FileServer"],
            path: "Tests/FileStoreCrashWriter",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FileServerTests",
            dependencies: ["FileServer", "FileStoreCrashWriter", "TestSupport"],
            path: "Tests/FileServerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APIServerTests",
            dependencies: [
                "APIServer", "APIStore", "Allocator", "Database", "ServerKit", "SMTP", "TestSupport", "Meeting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/APIServerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AllocatorTests",
            dependencies: [
                "Allocator", "APIStore", "Database", "TestSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AllocatorTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerKitTests",
            dependencies: ["ServerKit"],
            path: "Tests/ServerKitTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["Meeting", "MeetClientCLI", "TestSupport"],
            path: "Tests/CLITests",
            swiftSettings: swiftSettings
        ),
    ]
)
