import BankCore
import SwiftUI
import UIKit

/// The app's state: the signed-in session and the latest view the core produced. Screens
/// render `view` as it is; the store only carries their actions to the core.
///
/// The typed password goes to the core once and is kept nowhere. Signed in with it, the core
/// saves this phone's device token in the Keychain; every later launch signs in with that
/// token instead.
@MainActor
final class BankStore: ObservableObject {
    enum Phase {
        case signedOut
        /// The login screen stays up until the broker accepts the credentials.
        case signingIn
        case signedIn
    }

    struct Login {
        var broker: String
        var account: String
        /// Empty to sign in with this phone's device token.
        var password: String
    }

    @Published private(set) var phase = Phase.signedOut
    @Published private(set) var view: ViewModel?
    @Published private(set) var signInError: String?
    /// What the transfer fields hold. The fields do not read the core's form back: it trims
    /// what it is given and answers a moment later, while the user is still typing.
    @Published var draft = TransferDraft() {
        didSet { session?.editTransfer(payee: draft.payee, amount: draft.amount, memo: draft.memo) }
    }

    private var session: BankSession?
    /// Counts sessions, so that a view still on its way from an earlier one is dropped.
    private var sessionNumber = 0
    /// The broker of the sign-in under way, remembered once the broker accepts it.
    private var signingInTo: String?

    /// What the login screen starts with: the last broker and account that signed in. The
    /// password field starts empty.
    func lastLogin() -> Login {
        let defaults = UserDefaults.standard
        return Login(
            broker: defaults.string(forKey: DefaultsKey.broker) ?? "",
            account: defaults.string(forKey: DefaultsKey.account) ?? "",
            password: ""
        )
    }

    /// Opens the last account with this phone's device token (an empty password), straight
    /// to the account screens: the core shows the outbox and the connection state even while
    /// the broker is out of reach. Without a token the login screen stays.
    func resume() {
        let login = lastLogin()
        guard session == nil, !login.account.isEmpty, Keychain.shared.load(account: login.account) != nil else { return }
        startSession(login, phase: .signedIn)
    }

    /// Stays on the login screen until the broker accepts the password.
    func signIn(_ login: Login) {
        startSession(login, phase: .signingIn)
    }

    private func startSession(_ login: Login, phase: Phase) {
        // One session at a time: the core refuses a second one on the same account and storage.
        guard session == nil else { return }
        signInError = nil
        do {
            let storageDir = try Self.storageDirectory().path
            let config = try loginConfig(
                broker: login.broker, account: login.account, password: login.password,
                deviceName: UIDevice.current.name, storageDir: storageDir
            )
            sessionNumber += 1
            let number = sessionNumber
            let relay = ViewRelay { [weak self] view in
                // The main queue runs blocks in the order they came, so an older view
                // never replaces a newer one (and Swift treats this closure as main-actor code).
                DispatchQueue.main.async { self?.show(view, from: number) }
            }
            let session = try BankSession(config: config, observer: relay, credentials: Keychain.shared)
            self.session = session
            signingInTo = phase == .signingIn ? login.broker : nil
            self.phase = phase
            session.connect()
        } catch {
            signInError = Self.message(for: error)
        }
    }

    /// Also cancels a sign-in. The core revokes this phone's token and deletes it from the
    /// Keychain, so the next sign-in needs the password.
    func signOut() {
        session?.signOut()
        close()
    }

    /// Dropping the session makes the core leave the broker politely.
    private func close() {
        session = nil
        signingInTo = nil
        view = nil
        draft = TransferDraft()
        phase = .signedOut
    }

    func sendTransfer() {
        guard let session else { return }
        do {
            if try session.transfer(payee: draft.payee, amount: draft.amount, memo: draft.memo) != nil {
                // Queued: the core has emptied its form, and the fields follow it.
                let form = session.view().form
                draft = TransferDraft(payee: form.payee, amount: form.amount, memo: form.memo)
            }
        } catch {
            // Not saved on this phone, so not sent either; the view's notice says why.
        }
    }

    func loadMoreHistory() {
        session?.loadMoreHistory()
    }

    /// iOS suspends the app soon after it leaves the screen. Leaving the broker politely and
    /// reconnecting on return beats waiting out the core's retry delay on a dead socket.
    func scenePhaseChanged(to scenePhase: ScenePhase) {
        guard let session else { return }
        switch scenePhase {
        case .active:
            session.connect()
        case .background:
            session.disconnect()
        default:
            break
        }
    }

    private func show(_ view: ViewModel, from number: Int) {
        guard number == sessionNumber, session != nil else { return }
        self.view = view
        switch view.connection {
        case .loginFailed:
            // A refused password, or a token revoked elsewhere (the core has deleted it):
            // back to the login screen, which asks for the password.
            let reason = view.connectionText
            close()
            signInError = reason
        case .online:
            guard phase == .signingIn, let broker = signingInTo else { return }
            // The account as the core read it: the Keychain holds the token under that name.
            remember(broker: broker, account: view.account)
            signingInTo = nil
            phase = .signedIn
        case .disconnected, .connecting, .offline:
            break
        }
    }

    /// Only a broker and account that the broker accepted are kept. Neither is secret.
    private func remember(broker: String, account: String) {
        UserDefaults.standard.set(broker, forKey: DefaultsKey.broker)
        UserDefaults.standard.set(account, forKey: DefaultsKey.account)
    }

    /// Survives restarts (the core keeps this phone's device id and unsent transfers here)
    /// but stays out of backups: a copy restored on another phone would share the device id.
    private static func storageDirectory() throws -> URL {
        var directory = try FileManager.default
            .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("bank-core", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try directory.setResourceValues(values)
        return directory
    }

    private static func message(for error: Error) -> String {
        switch error {
        case SessionError.InvalidConfig(let message), SessionError.Storage(let message):
            return message
        default:
            return error.localizedDescription
        }
    }

    private enum DefaultsKey {
        static let broker = "lastBroker"
        static let account = "lastAccount"
    }
}

struct TransferDraft: Equatable {
    var payee = ""
    var amount = ""
    var memo = ""
}

/// Hands each view from the core's thread to the store, which moves it to the main queue.
private final class ViewRelay: ViewObserver {
    private let deliver: @Sendable (ViewModel) -> Void

    init(deliver: @escaping @Sendable (ViewModel) -> Void) {
        self.deliver = deliver
    }

    func onView(view: ViewModel) {
        deliver(view)
    }
}
