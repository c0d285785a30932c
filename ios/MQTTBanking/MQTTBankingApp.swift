import BankKit
import SwiftUI
import UIKit

@main
struct MQTTBankingApp: App {
    /// The app's logic lives in BankKit; the app gives it what only iOS knows: where to keep
    /// the core's files, the phone's name, and the Keychain.
    @State private var store = BankStore(
        storageDir: BankStore.appStorageDirectory(),
        deviceName: UIDevice.current.name,
        credentials: Keychain.shared
    )
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            Group {
                // The core decides the screen: the account once signed in, else the sign-in form.
                if let view = store.view, view.signIn == .signedIn {
                    MainView(view: view)
                } else {
                    LoginView()
                }
            }
            .environment(store)
            .tint(.indigo)
            // The last account opens with this phone's device token, if the core has one.
            .onAppear { store.resume() }
        }
        .onChange(of: scenePhase) { _, phase in
            switch phase {
            case .active: store.appBecameActive()
            case .background: store.appWentToBackground()
            default: break
            }
        }
    }
}
