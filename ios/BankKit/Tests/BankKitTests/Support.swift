// Test support: a real ledger-service on an ephemeral loopback port (as core/tests/kotlin's
// support/Ledger.kt starts it for the Kotlin tests, with the same flags), and one phone's
// store with an in-memory stand-in for the Keychain. Foundation's Process does not exist on
// iOS: these tests run on Linux, through scripts/swift-tests.sh.
#if os(Linux)
import BankCore
import BankKit
import Foundation
import Glibc
import XCTest

let waitSeconds: TimeInterval = 10

/// Where cargo put the binaries; set by scripts/swift-tests.sh.
let targetDir = ProcessInfo.processInfo.environment["BANK_TARGET_DIR"] ?? "target/debug"

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

final class Ledger {
    let port: UInt16
    let dataDir: URL
    let log: URL
    private var process: Process?

    init() throws {
        port = try freeLoopbackPort()
        dataDir = try temporaryDirectory("ledger")
        log = dataDir.appendingPathComponent("ledger.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        try start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func start() throws {
        let onlineBefore = ledgerOnlineCount()
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: targetDir).appendingPathComponent("ledger-service")
        process.arguments = ["--mqtt-listen", "127.0.0.1:\(port)", "--data-dir", dataDir.path]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
        // Listening is not enough: a device's first requests (its token request among them)
        // are lost if they reach the broker before the ledger has subscribed, which it logs.
        let deadline = Date() + waitSeconds
        while !acceptsConnections(port: port) || ledgerOnlineCount() == onlineBefore {
            guard Date() < deadline else {
                throw TestFailure(description: "ledger-service did not come up on \(port):\n\(logText())")
            }
            usleep(20_000)
        }
    }

    private func ledgerOnlineCount() -> Int {
        logText().components(separatedBy: "\n").filter { $0.contains("ledger online") }.count
    }

    /// SIGKILL: the broker and the ledger vanish at once.
    func kill() {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// `ledger-service tokens ARGS` on this ledger's data, while it runs: its output.
    func tokens(_ args: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: targetDir).appendingPathComponent("ledger-service")
        process.arguments = ["tokens", "--data-dir", dataDir.path] + args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(description: "ledger-service tokens \(args) failed: \(output)")
        }
        return output
    }

    func logText() -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }

    /// How many sign-ins the ledger refused so far, by its log.
    func refusedLogins() -> Int {
        logText().components(separatedBy: "\n").filter { $0.contains("refused a login") }.count
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: dataDir)
    }
}

func temporaryDirectory(_ prefix: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

private func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

/// A port nothing listens on right now: the kernel's pick for port 0.
func freeLoopbackPort() throws -> UInt16 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw TestFailure(description: "socket: errno \(errno)") }
    defer { close(socket) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure(description: "bind: errno \(errno)") }
    return UInt16(bigEndian: address.sin_port)
}

func acceptsConnections(port: UInt16) -> Bool {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// The Keychain's stand-in: device tokens by account. The core calls it on threads of its own.
final class RecordingCredentials: CredentialStore, @unchecked Sendable {
    private let lock = NSLock()
    private var tokens: [String: String] = [:]

    var saved: [String: String] { lock.withLock { tokens } }

    func load(account: String) -> String? { lock.withLock { tokens[account] } }

    func save(account: String, token: String) { lock.withLock { tokens[account] = token } }

    func delete(account: String) { lock.withLock { tokens[account] = nil } }
}

/// One phone's app: a store on its own storage directory, with an in-memory credential store.
@MainActor
final class Phone {
    let storage: URL
    let credentials: RecordingCredentials
    let store: BankStore

    init(storage: URL? = nil, credentials: RecordingCredentials = RecordingCredentials()) throws {
        self.storage = try storage ?? temporaryDirectory("phone")
        self.credentials = credentials
        store = BankStore(storageDir: self.storage.path, deviceName: "Linux phone", credentials: credentials)
    }

    /// Signs in with the demo password, and checks that the core signed in.
    func signIn(_ ledger: Ledger, _ account: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        store.signIn(broker: ledger.address, account: account, password: "demo")
        try await eventually("\(account) signed in or refused", file: file, line: line) {
            store.phase == .signedIn || store.signInError != nil
        }
        XCTAssertEqual(store.phase, .signedIn, store.signInError ?? "", file: file, line: line)
    }

    /// Waits until the core has saved a token for `account`: it asks for one once online.
    func awaitToken(_ account: String) async throws {
        try await eventually("a token saved for \(account)") { credentials.saved[account] != nil }
    }

    /// Waits for a view that satisfies `wanted`, and returns it.
    @discardableResult
    func awaitView(
        _ what: String, file: StaticString = #filePath, line: UInt = #line,
        _ wanted: (ViewModel) -> Bool
    ) async throws -> ViewModel {
        try await eventually(what, file: file, line: line) { store.view.map(wanted) ?? false }
        return store.view!
    }
}

/// Waits on the main actor, which keeps running the main queue (and so the store's views)
/// while it sleeps, until `done` holds.
@MainActor
func eventually(
    _ what: String, timeout: TimeInterval = waitSeconds,
    file: StaticString = #filePath, line: UInt = #line,
    _ done: () -> Bool
) async throws {
    let deadline = Date() + timeout
    while !done() {
        guard Date() < deadline else {
            XCTFail("not \(what) within \(timeout) s", file: file, line: line)
            throw TestFailure(description: "not \(what) within \(timeout) s")
        }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// Sleeps on the main actor, so the store keeps receiving views meanwhile.
@MainActor
func settle(seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
}
#endif
