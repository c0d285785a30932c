import BankCore
import SwiftUI
import UIKit

/// The app's state: the signed-in session and the latest view the core produced. Screens
/// render `view` as it is; the store only carries their actions to the core.
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
    private var signingInWith: Login?

    /// What the login screen starts with: the last broker and account that signed in, and
    /// that account's password from the Keychain.
    func lastLogin() -> Login {
        let defaults = UserDefaults.standard
        let account = defaults.string(forKey: DefaultsKey.account) ?? ""
        return Login(
            broker: defaults.string(forKey: DefaultsKey.broker) ?? "",
            account: account,
            password: account.isEmpty ? "" : Keychain.password(account: account) ?? ""
        )
    }

    func signIn(_ login: Login) {
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
            let session = try BankSession(config: config, observer: relay)
            self.session = session
            signingInWith = login
            phase = .signingIn
            session.connect()
        } catch {
            signInError = Self.message(for: error)
        }
    }

    /// Also cancels a sign-in. Dropping the session makes the core leave the broker politely.
    func signOut() {
        session = nil
        signingInWith = nil
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
        guard phase == .signingIn, let login = signingInWith else { return }
        switch view.connection {
        case .online:
            remember(login)
            signingInWith = nil
            phase = .signedIn
        case .loginFailed:
            let reason = view.connectionText
            signOut()
            signInError = reason
        case .disconnected, .connecting, .offline:
            break
        }
    }

    /// Only credentials the broker accepted are kept.
    private func remember(_ login: Login) {
        UserDefaults.standard.set(login.broker, forKey: DefaultsKey.broker)
        UserDefaults.standard.set(login.account, forKey: DefaultsKey.account)
        Keychain.savePassword(login.password, account: login.account)
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
