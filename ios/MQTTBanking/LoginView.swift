import BankCore
import BankKit
import SwiftUI

/// Broker, account and password. Stays up while the core's phase is `.signingIn`, showing its
/// connection text meanwhile, and its reason when it ends the sign-in. The password is
/// handed to the core and cleared from the field at once: it is kept nowhere.
struct LoginView: View {
    @Environment(BankStore.self) private var store
    @State private var broker = ""
    @State private var account = ""
    @State private var password = ""

    private var signingIn: Bool { store.phase == .signingIn }

    var body: some View {
        Form {
            Section {
                VStack(spacing: 10) {
                    Image(systemName: "building.columns.circle.fill")
                        .font(.system(size: 64))
                        .foregroundStyle(.indigo)
                    Text("MQTT Banking").font(.largeTitle.bold())
                    Text("Your balance, live on every device").foregroundStyle(.secondary)
                }
                .frame(maxWidth: .infinity)
                .padding(.vertical, 24)
                .listRowBackground(Color.clear)
            }
            Section {
                TextField("Broker address", text: $broker)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                TextField("Account number", text: $account)
                    .keyboardType(.numberPad)
                    .textContentType(.username)
                SecureField("Password", text: $password)
                    .textContentType(.password)
                    .submitLabel(.go)
                    .onSubmit { signIn() }
            } footer: {
                Text("The address ledger-service prints at startup, such as 192.168.1.20. For TLS: mqtts://host:8883.")
            }
            .autocorrectionDisabled()
            .disabled(signingIn)
            Section {
                Button(action: signIn) {
                    HStack(spacing: 10) {
                        if signingIn {
                            ProgressView()
                        }
                        Text(signingIn ? "Signing In…" : "Sign In").font(.headline)
                    }
                    .frame(maxWidth: .infinity)
                }
                .disabled(signingIn)
                if signingIn {
                    Button("Cancel", role: .cancel) { store.signOut() }
                        .frame(maxWidth: .infinity)
                }
            } footer: {
                if signingIn, let view = store.view {
                    Text(view.connectionText)
                }
            }
            if let signInError = store.signInError {
                Section {
                    Label(signInError, systemImage: "exclamationmark.triangle.fill")
                        .foregroundStyle(.red)
                }
            }
        }
        .onAppear {
            // The last broker and account that got online, as the core saved them.
            guard let login = store.lastLogin() else { return }
            broker = login.broker
            account = login.account
        }
    }

    private func signIn() {
        store.signIn(broker: broker, account: account, password: password)
        password = ""
    }
}
