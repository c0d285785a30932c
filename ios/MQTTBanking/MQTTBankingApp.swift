import SwiftUI

@main
struct MQTTBankingApp: App {
    @StateObject private var store = BankStore()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            Group {
                if store.phase == .signedIn, let view = store.view {
                    MainView(view: view)
                } else {
                    LoginView()
                }
            }
            .environmentObject(store)
            .tint(.indigo)
            // A remembered account opens with this phone's device token.
            .onAppear { store.resume() }
        }
        .onChange(of: scenePhase) { phase in
            store.scenePhaseChanged(to: phase)
        }
    }
}
