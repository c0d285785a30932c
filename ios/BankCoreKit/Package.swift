// swift-tools-version:5.9
// bank-core for the app and for BankKit: the Rust library and the Swift bindings UniFFI
// generates for it. Neither is in git.
//
// On a Mac, ../build-xcframework.sh makes both: the static library for iPhone and
// simulator as BankCoreFFI.xcframework, and Sources/BankCore/BankCore.swift.
// On Linux (scripts/swift-tests.sh, which compiles and tests BankKit without a Mac), the
// library is the host's libbank_core.so from cargo, and the script puts the generated
// header and module map in Sources/BankCoreFFI and the Swift in Sources/BankCore. It passes
// the library's directory to the linker (-Xlinker -L).
import PackageDescription

#if os(Linux)
let ffi = Target.systemLibrary(name: "BankCoreFFI", path: "Sources/BankCoreFFI")
let links: [LinkerSetting] = [.linkedLibrary("bank_core")]
#else
let ffi = Target.binaryTarget(name: "BankCoreFFI", path: "BankCoreFFI.xcframework")
// A static library carries no link flags of its own, and the core reads the local time
// zone through CoreFoundation.
let links: [LinkerSetting] = [.linkedFramework("CoreFoundation")]
#endif

let package = Package(
    name: "BankCoreKit",
    platforms: [.iOS(.v17)],
    products: [
        .library(name: "BankCore", targets: ["BankCore"]),
    ],
    targets: [
        // Its module is named by the module map (the xcframework's, or Sources/BankCoreFFI's),
        // which the generated BankCore.swift imports.
        ffi,
        .target(
            name: "BankCore",
            dependencies: ["BankCoreFFI"],
            path: "Sources/BankCore",
            linkerSettings: links
        ),
    ]
)
