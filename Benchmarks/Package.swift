// swift-tools-version: 6.2
// Micro-benchmarks for the hot functions (#18). A package of its own so that the root
// package's build and CI never build ordo-one/benchmark:
//   swift package --package-path Benchmarks benchmark
import PackageDescription

let package = Package(
    name: "coupon-worker-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the products resolve whatever the checkout directory is called.
        .package(name: "coupon-worker", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "CouponModel", package: "coupon-worker"),
                .product(name: "IdempotencyStore", package: "coupon-worker"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "HotPaths",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
