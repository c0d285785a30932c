import BankCore
import BankKit
import SwiftUI

/// Every entry the core holds, newest first, with older pages on request.
struct HistoryView: View {
    @Environment(BankStore.self) private var store
    let view: ViewModel

    var body: some View {
        List {
            if view.history.isEmpty {
                EmptyHistory(loading: view.historyLoading)
            }
            ForEach(view.history, id: \.id) { row in
                HistoryRowView(row: row)
            }
            if !view.history.isEmpty && view.historyLoading {
                ProgressView().frame(maxWidth: .infinity)
            } else if view.canLoadMoreHistory {
                Button("Show older transactions") { store.loadMoreHistory() }
                    .frame(maxWidth: .infinity)
            }
        }
        .navigationTitle("History")
        .connectionStatus(view)
    }
}

/// `To #00004  -$90.00`: who, how much, when, and what became of it.
struct HistoryRowView: View {
    let row: HistoryRow

    var body: some View {
        HStack(spacing: 12) {
            Image(systemName: row.incoming ? "arrow.down.left" : "arrow.up.right")
                .font(.subheadline.weight(.bold))
                .foregroundStyle(iconTint)
                .frame(width: 38, height: 38)
                .background(iconTint.opacity(0.15), in: Circle())
            VStack(alignment: .leading, spacing: 2) {
                Text(row.title).font(.body.weight(.medium))
                if let memo = row.memo {
                    Text(memo).font(.subheadline).foregroundStyle(.secondary)
                }
                Text(row.timeText).font(.caption).foregroundStyle(.secondary)
                if row.status != .done {
                    Text(row.statusText).font(.caption.weight(.medium)).foregroundStyle(statusTint)
                }
            }
            Spacer(minLength: 8)
            VStack(alignment: .trailing, spacing: 2) {
                Text(row.amountText)
                    .font(.body.weight(.semibold).monospacedDigit())
                    .strikethrough(row.status == .rejected)
                    .foregroundStyle(row.incoming ? Color.green : Color.primary)
                if let balanceAfterText = row.balanceAfterText {
                    Text(balanceAfterText).font(.caption.monospacedDigit()).foregroundStyle(.secondary)
                }
            }
        }
        .padding(.vertical, 2)
        .accessibilityElement(children: .combine)
    }

    private var iconTint: Color {
        row.status == .rejected ? .red : (row.incoming ? .green : .indigo)
    }

    private var statusTint: Color {
        row.status == .rejected ? .red : .orange
    }
}

/// Shown while the first page is on its way, or when the account has no entries yet.
struct EmptyHistory: View {
    let loading: Bool

    var body: some View {
        HStack {
            Spacer()
            if loading {
                ProgressView()
            } else {
                Label("No transactions yet", systemImage: "tray")
                    .foregroundStyle(.secondary)
            }
            Spacer()
        }
        .padding(.vertical, 24)
    }
}
