import BankCore
import BankKit
import SwiftUI

/// The account at a glance: balance, money on its way out, and the latest entries.
struct BalanceView: View {
    @Environment(BankStore.self) private var store
    let view: ViewModel

    private let recentCount = 5

    var body: some View {
        List {
            Section {
                BalanceCard(view: view)
                    .listRowInsets(EdgeInsets())
            }
            Section("Recent activity") {
                if view.history.isEmpty {
                    EmptyHistory(loading: view.historyLoading)
                } else {
                    ForEach(view.history.prefix(recentCount), id: \.id) { row in
                        HistoryRowView(row: row)
                    }
                }
            }
        }
        .navigationTitle("Balance")
        .connectionStatus(view)
        .toolbar {
            ToolbarItem(placement: .navigationBarLeading) {
                Button("Sign Out", role: .destructive) { store.signOut() }
            }
        }
    }
}

private struct BalanceCard: View {
    let view: ViewModel

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(view.accountTitle)
                .font(.subheadline.weight(.medium))
                .foregroundStyle(Color.white.opacity(0.8))
            Text(view.balanceText)
                .font(.system(size: 42, weight: .bold, design: .rounded).monospacedDigit())
                .foregroundStyle(Color.white)
                .minimumScaleFactor(0.5)
                .lineLimit(1)
            if let pendingText = view.pendingText {
                Label(pendingText, systemImage: "clock")
                    .font(.subheadline.weight(.medium))
                    .foregroundStyle(Color.white.opacity(0.9))
            }
            if let devicesOnlineText = view.devicesOnlineText {
                Label(devicesOnlineText, systemImage: "iphone.radiowaves.left.and.right")
                    .font(.caption)
                    .foregroundStyle(Color.white.opacity(0.75))
                    .padding(.top, 8)
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(20)
        .background(
            LinearGradient(colors: [.indigo, .blue], startPoint: .topLeading, endPoint: .bottomTrailing)
        )
        .accessibilityElement(children: .combine)
    }
}
