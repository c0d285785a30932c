import BankCore
import Foundation
import Observation

/// The app's one bank-core session, for the screens to render and drive: sign in and out,
/// and the screens' actions. It holds no banking or sign-in rules: the core's `ViewModel`
/// carries every text, error and enabled state, and `view.signIn` says which screen to show.
///
/// The typed password goes to the core once and is kept nowhere. Signed in with it, the core
/// saves this phone's device token through `credentials` (the Keychain in the app) and
/// remembers the broker and account; every later launch reopens that account with the token.
///
/// Main-actor only, as SwiftUI reads it. The core calls its observer on a thread of its own,
/// so each view hops to the main queue, in the order the core sent them, before it reaches
/// `view`. No call here waits on the network.
@MainActor
@Observable
public final class BankStore {
    /// The session's latest view; `nil` while there is no session.
    public private(set) var view: ViewModel?
    /// Why the sign-in screen is back: the core's `signInError` from the view that ended the
    /// session, or its message for a broker address or account it cannot use.
    public private(set) var signInError: String?
    /// What the transfer fields hold. The fields do not read the core's form back: it trims
    /// what it is given and answers a moment later, while the user is still typing.
    public var draft = TransferDraft() {
        didSet { session?.editTransfer(payee: draft.payee, amount: draft.amount, memo: draft.memo) }
    }

    /// Which screen to show: the core's phase, or `.signedOut` without a session.
    public var phase: SignInPhase { view?.signIn ?? .signedOut }

    @ObservationIgnored private let storageDir: String
    @ObservationIgnored private let deviceName: String
    @ObservationIgnored private let credentials: CredentialStore
    @ObservationIgnored private var session: BankSession?
    /// Counts sessions, so that a view still on its way from an earlier one is dropped.
    @ObservationIgnored private var sessionNumber = 0

    /// - Parameters:
    ///   - storageDir: where the core keeps this phone's device id, the transfers not yet
    ///     confirmed and the last login; it must survive restarts.
    ///   - deviceName: how this phone appears in the other devices' lists.
    ///   - credentials: where the core keeps this phone's device token.
    public init(storageDir: String, deviceName: String, credentials: CredentialStore) {
        self.storageDir = storageDir
        self.deviceName = deviceName
        self.credentials = credentials
    }

    /// The sign-in screen's first values: the last broker and account that a password
    /// sign-in got online with, as the core saved them. The password field starts empty.
    public func lastLogin() -> LastLogin? {
        rememberedLogin(storageDir: storageDir)
    }

    /// Reopens the last account with this phone's device token, straight to the account
    /// screens: the core shows the outbox and the connection state even while the broker is
    /// out of reach. When the core has no last login or no token, the sign-in screen stays.
    public func resume() {
        guard session == nil,
              let config = resumeConfig(storageDir: storageDir, deviceName: deviceName, credentials: credentials)
        else { return }
        open(config)
    }

    /// Signs in with the typed fields. The core keeps the sign-in screen up (`.signingIn`)
    /// until the broker accepts them, and ends in `.signedOut` if it refuses.
    public func signIn(broker: String, account: String, password: String) {
        guard session == nil else { return }
        do {
            open(try loginConfig(
                broker: broker, account: account, password: password,
                deviceName: deviceName, storageDir: storageDir
            ))
        } catch {
            signInError = Self.message(for: error)
        }
    }

    /// Also cancels a sign-in. The core revokes this phone's token and deletes it from the
    /// credential store, so the next sign-in needs the password.
    public func signOut() {
        session?.signOut()
        end()
        signInError = nil
    }

    /// Ends the session but keeps the token and the last login, as when the app's process
    /// ends: the next `resume()` reopens the same account.
    public func close() {
        end()
        signInError = nil
    }

    /// Whether the transfer was queued. When it was not, the view's form or notice says why.
    @discardableResult
    public func sendTransfer() -> Bool {
        guard let session else { return false }
        do {
            guard try session.transfer(payee: draft.payee, amount: draft.amount, memo: draft.memo) != nil else {
                return false
            }
        } catch {
            // Not saved on this phone, so not sent either; the view's notice says why.
            return false
        }
        // Queued: the core has emptied its form, and the fields follow it.
        let form = session.view().form
        draft = TransferDraft(payee: form.payee, amount: form.amount, memo: form.memo)
        return true
    }

    public func loadMoreHistory() {
        session?.loadMoreHistory()
    }

    /// iOS suspends the app soon after it leaves the screen. Leaving the broker politely and
    /// reconnecting on return beats waiting out the core's retry delay on a dead socket.
    public func appBecameActive() {
        session?.connect()
    }

    public func appWentToBackground() {
        session?.disconnect()
    }

    private func open(_ config: SessionConfig) {
        signInError = nil
        sessionNumber += 1
        let number = sessionNumber
        let relay = ViewRelay { [weak self] view in
            guard let store = self else { return }
            // The main queue runs blocks in the order they came, so an older view never
            // replaces a newer one.
            DispatchQueue.main.async {
                MainActor.assumeIsolated { store.show(view, from: number) }
            }
        }
        do {
            let session = try BankSession(config: config, observer: relay, credentials: credentials)
            self.session = session
            // At once, so the screen follows the core's phase without waiting for the relay.
            show(session.view(), from: number)
            self.session?.connect()
        } catch {
            signInError = Self.message(for: error)
        }
    }

    private func show(_ view: ViewModel, from number: Int) {
        guard number == sessionNumber, session != nil else { return }
        if view.signIn == .signedOut {
            // A refused password, or this phone's token revoked (the core has deleted it):
            // the session will not retry. Close it, and keep the core's reason for the
            // sign-in screen, which asks for the password.
            end()
            signInError = view.signInError
            return
        }
        self.view = view
    }

    /// Dropping the session closes it: the core leaves the broker and releases the storage.
    private func end() {
        session = nil
        view = nil
        draft = TransferDraft()
    }

    /// The core's own words for a config or storage it cannot use.
    private static func message(for error: Error) -> String {
        switch error {
        case SessionError.InvalidConfig(let message), SessionError.Storage(let message),
             SessionError.InUse(let message):
            return message
        default:
            return String(describing: error)
        }
    }
}

public struct TransferDraft: Equatable, Sendable {
    public var payee: String
    public var amount: String
    public var memo: String

    public init(payee: String = "", amount: String = "", memo: String = "") {
        self.payee = payee
        self.amount = amount
        self.memo = memo
    }
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
