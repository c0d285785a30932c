import BankCore
import SwiftUI

extension View {
    /// What every signed-in screen shows around its content: a dot for the connection in the
    /// navigation bar, and the core's own words, pinned under it, for whatever keeps transfers
    /// from going through right now.
    func connectionStatus(_ view: ViewModel) -> some View {
        toolbar {
            ToolbarItem(placement: .navigationBarTrailing) {
                Circle()
                    .fill(view.connection.tint)
                    .frame(width: 10, height: 10)
                    .accessibilityLabel(view.connectionText)
            }
        }
        .safeAreaInset(edge: .top, spacing: 0) {
            VStack(spacing: 8) {
                if view.connection != .online {
                    Banner(text: view.connectionText, systemImage: "wifi.exclamationmark", tint: view.connection.tint)
                }
                if let ledgerText = view.ledgerText {
                    Banner(text: ledgerText, systemImage: "building.columns", tint: .orange)
                }
            }
            .background(.bar)
        }
    }
}

/// One message with an icon in its tone's colour, on a tinted card.
struct Banner: View {
    let text: String
    let systemImage: String
    let tint: Color

    var body: some View {
        Label {
            Text(text).foregroundStyle(.primary)
        } icon: {
            Image(systemName: systemImage).foregroundStyle(tint)
        }
        .font(.subheadline)
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(12)
        .background(tint.opacity(0.12), in: RoundedRectangle(cornerRadius: 12, style: .continuous))
        .padding(.horizontal)
        .padding(.vertical, 4)
    }
}

extension ConnectionState {
    var tint: Color {
        switch self {
        case .online: return .green
        case .connecting, .offline: return .orange
        case .disconnected: return .gray
        case .loginFailed: return .red
        }
    }
}

extension NoticeTone {
    var tint: Color {
        switch self {
        case .info: return .blue
        case .success: return .green
        case .error: return .red
        }
    }

    var systemImage: String {
        switch self {
        case .info: return "paperplane.fill"
        case .success: return "checkmark.circle.fill"
        case .error: return "exclamationmark.triangle.fill"
        }
    }
}
