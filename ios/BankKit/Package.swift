// swift-tools-version:5.9
// The iPhone app's logic in plain Swift, as android/shared is the Android app's: the store
// that opens the core's session, hops its views onto the main actor and carries the
// screens' actions back. It imports Foundation, Observation and the core's bindings only (no
// SwiftUI, UIKit, Combine or Security), so it also builds and runs its tests on Linux:
// scripts/swift-tests.sh, against real ledger-service processes.
import PackageDescription

let package = Package(
    name: "BankKit",
    // Observation (@Observable) is iOS 17's.
    platforms: [.iOS(.v17)],
    products: [
        .library(name: "BankKit", targets: ["BankKit"]),
    ],
    dependencies: [
        .package(path: "../BankCoreKit"),
    ],
    targets: [
        .target(
            name: "BankKit",
            dependencies: [.product(name: "BankCore", package: "BankCoreKit")]
        ),
        .testTarget(
            name: "BankKitTests",
            dependencies: ["BankKit", .product(name: "BankCore", package: "BankCoreKit")]
        ),
    ]
)
