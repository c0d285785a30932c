import BankCore
import SwiftUI

/// The signed-in app: balance, transfer and history, each in its own tab.
struct MainView: View {
    let view: ViewModel

    var body: some View {
        TabView {
            NavigationStack { BalanceView(view: view) }
                .tabItem { Label("Balance", systemImage: "creditcard") }
            NavigationStack { TransferView(view: view) }
                .tabItem { Label("Transfer", systemImage: "arrow.left.arrow.right") }
            NavigationStack { HistoryView(view: view) }
                .tabItem { Label("History", systemImage: "list.bullet.rectangle") }
        }
    }
}
