// BankStore against real ledger-service processes (Support.swift), on Linux: the iPhone
// app's logic, minus SwiftUI and the Keychain. The same cases as android/shared's
// BankStoreTest.kt.
#if os(Linux)
import BankCore
import BankKit
import Foundation
import Observation
import XCTest

@MainActor
final class BankStoreTests: XCTestCase {
    func testATransferFromOneStoreShowsUpLiveInTheOther() async throws {
        let ledger = try Ledger()
        let one = try Phone()
        let two = try Phone()
        try await one.signIn(ledger, "00001")
        try await two.signIn(ledger, "00002")
        try await one.awaitView("00001's balance") { $0.balanceText == "$1,000.00" }
        let before = try await two.awaitView("00002's balance") { $0.balanceText == "$726.14" }
        XCTAssertEqual(before.accountTitle, "Account #00002")

        one.store.draft = TransferDraft(payee: "00002", amount: "5.00", memo: "lunch")
        XCTAssertTrue(one.store.sendTransfer())
        XCTAssertEqual(one.store.draft, TransferDraft(), "the fields follow the core's emptied form")

        let seen = try await two.awaitView("the transfer on the other phone") { $0.balanceText == "$731.14" }
        let row = try XCTUnwrap(seen.history.first)
        XCTAssertEqual(row.title, "From #00001")
        XCTAssertEqual(row.amountText, "+$5.00")
        XCTAssertEqual(row.memo, "lunch")
        XCTAssertEqual(row.status, .done)
        XCTAssertEqual(row.balanceAfterText, "Balance $731.14")

        let mine = try await one.awaitView("the sender's transfer done") { $0.history.first?.status == .done }
        XCTAssertEqual(mine.balanceText, "$995.00")
        XCTAssertEqual(mine.history.first?.title, "To #00002")
        XCTAssertEqual(mine.history.first?.amountText, "-$5.00")
        XCTAssertEqual(mine.history.first?.balanceAfterText, "Balance $995.00")
        try await one.awaitView("both phones online") { $0.devicesOnlineText != nil }
    }

    func testAWrongPasswordEndsSignedOutWithTheCoresErrorAndNoRetry() async throws {
        let ledger = try Ledger()
        let phone = try Phone()
        phone.store.signIn(broker: ledger.address, account: "00001", password: "wrong")
        XCTAssertEqual(phone.store.phase, .signingIn, "the sign-in screen stays while the broker answers")
        try await eventually("a refused sign-in") { phone.store.signInError != nil }
        XCTAssertEqual(
            phone.store.signInError,
            "Login failed: the broker refused the account number or password. Check both and sign in again"
        )
        XCTAssertEqual(phone.store.phase, .signedOut)
        XCTAssertNil(phone.store.view)
        XCTAssertEqual(phone.credentials.saved, [:])
        XCTAssertNil(phone.store.lastLogin(), "only a sign-in that got online is remembered")

        // The core retries a lost connection after 0.5 s at first; a refused one, never.
        try await settle(seconds: 2)
        XCTAssertEqual(ledger.refusedLogins(), 1, "the ledger saw one sign-in:\n\(ledger.logText())")
        XCTAssertEqual(phone.store.phase, .signedOut)
        XCTAssertNotNil(phone.store.signInError)

        // The refused session was closed: the same storage signs in with the right password.
        try await phone.signIn(ledger, "00001")
        XCTAssertNil(phone.store.signInError)
    }

    func testABadBrokerAddressOrAccountShowsTheCoresMessageAndOpensNothing() async throws {
        let phone = try Phone()
        phone.store.signIn(broker: "http://laptop", account: "00001", password: "demo")
        XCTAssertEqual(
            phone.store.signInError,
            "'http://' is not a broker address. Use mqtt://host:1883, or mqtts://host:8883 for TLS."
        )
        phone.store.signIn(broker: "127.0.0.1", account: "1", password: "demo")
        XCTAssertEqual(phone.store.signInError, "The account number is 5 digits, like 00001.")
        XCTAssertNil(phone.store.view)
        XCTAssertEqual(phone.store.phase, .signedOut)
        XCTAssertEqual(phone.credentials.saved, [:])
        XCTAssertNil(phone.store.lastLogin())
    }

    func testEveryViewArrivesOnTheMainActor() async throws {
        let ledger = try Ledger()
        let phone = try Phone()
        let log = ChangeLog()
        // Observation calls onChange on whichever thread sets the property. The core calls its
        // observer on a thread of its own, so a view set there would show up here.
        track(phone.store, log)

        try await phone.signIn(ledger, "00001")
        try await phone.awaitView("online with a balance") { $0.balanceKnown }
        phone.store.draft = TransferDraft(payee: "00002", amount: "12.345")
        let form = try await phone.awaitView("an amount error") { $0.form.amountError != nil }.form
        XCTAssertEqual(form.amountError, "Amount can have at most 2 digits after the decimal point")
        XCTAssertFalse(form.sendEnabled)
        XCTAssertFalse(phone.store.sendTransfer(), "a form with errors is not queued")

        let changes = log.threads
        XCTAssertGreaterThanOrEqual(changes.count, 3, "views seen")
        XCTAssertEqual(changes.filter { !$0 }.count, 0, "changes made off the main thread")
    }

    func testSignOutReleasesTheSessionAndResumeFindsNoToken() async throws {
        let ledger = try Ledger()
        let phone = try Phone()
        try await phone.signIn(ledger, "00002")
        try await phone.awaitToken("00002")
        XCTAssertEqual(phone.store.lastLogin(), LastLogin(broker: ledger.address, account: "00002"))

        // The core locks an account's storage while a session has it open.
        let intruder = try Phone(storage: phone.storage)
        intruder.store.signIn(broker: ledger.address, account: "00002", password: "demo")
        XCTAssertEqual(
            intruder.store.signInError,
            "account 00002 already has a session open on this storage; close it first."
        )

        phone.store.signOut()
        XCTAssertNil(phone.store.view)
        XCTAssertEqual(phone.store.phase, .signedOut)
        XCTAssertNil(phone.store.signInError)
        XCTAssertEqual(phone.credentials.saved, [:], "the token is forgotten")
        try await eventually("the token revoked on the ledger") {
            (try? ledger.tokens("list"))?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? false
        }
        phone.store.resume()
        XCTAssertNil(phone.store.view, "without a token nothing resumes")
        XCTAssertEqual(phone.store.phase, .signedOut)

        // A new session opens on the same storage.
        try await phone.signIn(ledger, "00002")
        try await phone.awaitView("the account, online") { $0.balanceText == "$726.14" }
    }

    func testTheNextStartResumesWithTheDeviceTokenNotThePassword() async throws {
        let ledger = try Ledger()
        let storage = try temporaryDirectory("phone")
        let credentials = RecordingCredentials()
        let phone = try Phone(storage: storage, credentials: credentials)
        phone.store.signIn(broker: ledger.address, account: " 00001 ", password: "demo")
        try await eventually("signed in") { phone.store.phase == .signedIn }
        try await phone.awaitToken("00001")
        phone.store.close()
        XCTAssertTrue(try XCTUnwrap(credentials.saved["00001"]).hasPrefix("bt1."), "a device token, never the password")

        let restarted = try Phone(storage: storage, credentials: credentials)
        XCTAssertEqual(restarted.store.lastLogin(), LastLogin(broker: ledger.address, account: "00001"))
        restarted.store.resume()
        XCTAssertEqual(restarted.store.phase, .signedIn, "straight to the account screens")
        try await restarted.awaitView("the account, online") { $0.balanceText == "$1,000.00" }
    }

    func testARevokedTokenSendsTheNextStartToTheSignInScreen() async throws {
        let ledger = try Ledger()
        let storage = try temporaryDirectory("phone")
        let credentials = RecordingCredentials()
        let phone = try Phone(storage: storage, credentials: credentials)
        try await phone.signIn(ledger, "00003")
        try await phone.awaitToken("00003")
        phone.store.close()
        _ = try ledger.tokens("revoke", "00003") // as another device, or the operator, would

        let restarted = try Phone(storage: storage, credentials: credentials)
        restarted.store.resume()
        try await eventually("the sign-in screen again") { restarted.store.signInError != nil }
        XCTAssertEqual(
            restarted.store.signInError,
            "Login failed: this device was signed out. Sign in with your password again"
        )
        XCTAssertNil(restarted.store.view)
        XCTAssertEqual(credentials.saved, [:], "the core deleted the token")
        XCTAssertEqual(restarted.store.lastLogin(), LastLogin(broker: ledger.address, account: "00003"))
        try await restarted.signIn(ledger, "00003")
    }

    func testASignInThatCannotReachTheBrokerShowsTheCoresProgressAndCanBeCancelled() async throws {
        let closedPort = try freeLoopbackPort()
        let phone = try Phone()
        phone.store.signIn(broker: "127.0.0.1:\(closedPort)", account: "00001", password: "demo")
        let view = try await phone.awaitView("offline while signing in") { $0.connectionText.hasPrefix("Offline") }
        XCTAssertEqual(phone.store.phase, .signingIn)
        XCTAssertTrue(view.connectionText.contains("nothing is listening at 127.0.0.1:\(closedPort)"), view.connectionText)

        phone.store.signOut()
        XCTAssertNil(phone.store.view)
        XCTAssertEqual(phone.store.phase, .signedOut)
        XCTAssertNil(phone.store.signInError)
    }
}

/// Whether each change of the store was made on the main thread.
final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Bool] = []

    var threads: [Bool] { lock.withLock { seen } }

    func add(onMain: Bool) { lock.withLock { seen.append(onMain) } }
}

/// Records the thread of every change to the store's view or sign-in error, re-arming after
/// each one (Observation reports one change per tracking).
@MainActor
func track(_ store: BankStore, _ log: ChangeLog) {
    withObservationTracking {
        _ = store.view
        _ = store.signInError
    } onChange: { [weak store] in
        let onMain = Thread.isMainThread
        log.add(onMain: onMain)
        guard onMain else { return }
        MainActor.assumeIsolated {
            if let store { track(store, log) }
        }
    }
}
#endif
