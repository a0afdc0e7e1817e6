// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "coupon-worker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coupon-worker", targets: ["coupon-worker"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "CouponWorker", targets: ["CouponWorker"]),
        .library(name: "CouponWorkerRuntime", targets: ["CouponWorkerRuntime"]),
        .library(name: "CouponSandbox", targets: ["CouponSandbox"]),
        // For the micro-benchmarks in Benchmarks/ (their own package).
        .library(name: "CouponModel", targets: ["CouponModel"]),
        .library(name: "IdempotencyStore", targets: ["IdempotencyStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Links the system sqlite3 (libsqlite3-dev); caches prepared statements.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Only the OTLP/HTTP exporter: the default traits would build gRPC too.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The C boundary: Debian's librdkafka-dev (2.0.2), incl. the mock cluster API.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The only Swift code that touches CRdKafka.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Commands, results, validation, error vocabulary, canonical JSON. No I/O.
        .target(
            name: "CouponModel",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "WeChatPay",
            dependencies: [
                "CouponModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "Zvcms",
            dependencies: [
                "CouponModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "IdempotencyStore",
            dependencies: [
                "CouponModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, which GRDB links: the store binds its values with it.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Faithful local simulators of the provider endpoints, with fault injection.
        .target(
            name: "CouponSandbox",
            dependencies: [
                "CouponModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The pipeline: consume → validate → claim → rate-limit → call → store → publish → offset.
        .target(
            name: "CouponWorker",
            dependencies: [
                "Kafka", "CouponModel", "WeChatPay", "Zvcms", "IdempotencyStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The production wiring as a library: settings (file + environment), provider
        // assembly, the side port, logging, and `WorkerRuntime`, which `run` calls.
        .target(
            name: "CouponWorkerRuntime",
            dependencies: [
                "CouponWorker", "Kafka", "CouponModel", "WeChatPay", "Zvcms", "IdempotencyStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        // Developer tooling, off the production path: demo, dev-kafka and sandbox with their
        // control APIs, bench. Workers are assembled by CouponWorkerRuntime, as in `run`.
        .target(
            name: "CouponWorkerDevTools",
            dependencies: [
                "CouponWorkerRuntime", "CouponWorker", "CouponSandbox", "Kafka", "CouponModel", "WeChatPay",
                "IdempotencyStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Argument parsing only: each subcommand calls the runtime or the developer tooling.
        .executableTarget(
            name: "coupon-worker",
            dependencies: [
                "CouponWorkerRuntime", "CouponWorkerDevTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shared test fixtures: mock Kafka cluster, sandboxes, PostgreSQL URL, keys.
        .target(
            name: "TestSupport",
            dependencies: [
                "Kafka", "CouponModel", "CouponSandbox", "WeChatPay", "Zvcms", "IdempotencyStore", "CouponWorker",
                "CouponWorkerRuntime", "CouponWorkerDevTools",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "CouponModelTests", dependencies: ["CouponModel", "TestSupport"]),
        .testTarget(
            name: "WeChatPayTests",
            dependencies: [
                "WeChatPay", "CouponModel", "CouponSandbox", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Interop/wechatpay_sdk_check.py"]
        ),
        .testTarget(
            name: "ZvcmsTests",
            dependencies: [
                "Zvcms", "CouponModel", "CouponSandbox", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IdempotencyStoreTests",
            dependencies: [
                "IdempotencyStore", "CouponModel", "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The production wiring below the process boundary: settings, assembly, side port.
        .testTarget(
            name: "CouponWorkerRuntimeTests",
            dependencies: [
                "CouponWorkerRuntime", "CouponWorker", "CouponSandbox", "TestSupport", "Zvcms",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CouponWorkerTests",
            dependencies: [
                "CouponWorker", "TestSupport", "CouponModel", "CouponSandbox", "IdempotencyStore", "Kafka",
                "WeChatPay", "Zvcms",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
    ]
)
