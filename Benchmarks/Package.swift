// swift-tools-version:6.1
//
// Microbenchmarks, kept out of the main package so that `swift build` there never compiles them and so that
// they can be built in release mode on their own: `make bench`
// (= swift run --package-path Benchmarks -c release MediaParseBenchmark).
import PackageDescription

let package = Package(
    name: "MeetingBenchmarks",
    dependencies: [
        .package(name: "Meeting", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // libsrtp2, the reference: the cost an SFU pays per packet anyway (one unprotect in, one protect out).
        .systemLibrary(name: "CSRTPReference", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .executableTarget(
            name: "MediaParseBenchmark",
            dependencies: [
                .product(name: "STUN", package: "Meeting"),
                .product(name: "RTP", package: "Meeting"),
                .product(name: "SDP", package: "Meeting"),
                .product(name: "NIOCore", package: "swift-nio"),
                "CSRTPReference",
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "CodecBenchmark",
            dependencies: [.product(name: "Codecs", package: "Meeting")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        // Join requests per second against a real apiserver on loopback (HTTP, session check, meeting and role
        // reads, join token and TURN credential), on SQLite and, with MEETING_BENCH_MYSQL, on MariaDB.
        .executableTarget(
            name: "APIJoinBenchmark",
            dependencies: [
                .product(name: "APIServer", package: "Meeting"),
                .product(name: "APIStore", package: "Meeting"),
                .product(name: "Database", package: "Meeting"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "SRTPBenchmark",
            dependencies: [
                .product(name: "SRTP", package: "Meeting"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "WebRTCDriverBenchmark",
            dependencies: [
                .product(name: "WebRTCDriver", package: "Meeting"),
                .product(name: "WebRTC", package: "Meeting"),
                .product(name: "DTLS", package: "Meeting"),
                .product(name: "SRTP", package: "Meeting"),
                .product(name: "SDP", package: "Meeting"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        // N participants against a real `meeting sfuserver` process (bench/sfu-load.sh).
        .executableTarget(
            name: "SFULoadBenchmark",
            dependencies: [
                .product(name: "WebRTCDriver", package: "Meeting"),
                .product(name: "WebRTC", package: "Meeting"),
                .product(name: "DTLS", package: "Meeting"),
                .product(name: "RTP", package: "Meeting"),
                .product(name: "SDP", package: "Meeting"),
                .product(name: "ServerKit", package: "Meeting"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
