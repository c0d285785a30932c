// swift-tools-version:5.9
// bank-core for the iOS app: the Rust static library as a binary target, and the Swift
// bindings UniFFI generates for it. ../build-xcframework.sh makes both; neither is in git.
import PackageDescription

let package = Package(
    name: "BankCoreKit",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "BankCore", targets: ["BankCore"]),
    ],
    targets: [
        // Its module is named by the xcframework's module.modulemap, which the generated
        // BankCore.swift imports.
        .binaryTarget(name: "BankCoreFFI", path: "BankCoreFFI.xcframework"),
        .target(
            name: "BankCore",
            dependencies: ["BankCoreFFI"],
            path: "Sources/BankCore",
            // A static library carries no link flags of its own, and the core reads the
            // local time zone through CoreFoundation.
            linkerSettings: [.linkedFramework("CoreFoundation")]
        ),
    ]
)
