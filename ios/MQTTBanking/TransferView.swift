import BankCore
import BankKit
import SwiftUI

/// Send money. The core checks what is typed as it is typed; its words appear under each field.
struct TransferView: View {
    @Environment(BankStore.self) private var store
    @FocusState private var focusedField: Field?
    let view: ViewModel

    private enum Field {
        case payee, amount, memo
    }

    var body: some View {
        @Bindable var store = store
        Form {
            if let notice = view.notice {
                Section {
                    Label {
                        Text(notice.text)
                    } icon: {
                        Image(systemName: notice.tone.systemImage).foregroundStyle(notice.tone.tint)
                    }
                }
            }
            Section {
                LabeledContent("From", value: view.accountTitle)
                LabeledContent("Balance", value: view.balanceText)
                if let pendingText = view.pendingText {
                    LabeledContent("On its way", value: pendingText)
                }
            }
            Section {
                TextField("Account number, like 00002", text: $store.draft.payee)
                    .keyboardType(.numberPad)
                    .focused($focusedField, equals: .payee)
            } header: {
                Text("Send to")
            } footer: {
                FieldError(text: view.form.payeeError)
            }
            Section {
                TextField("0.00", text: $store.draft.amount)
                    // Always has a dot key: the decimal pad shows a comma in many regions.
                    .keyboardType(.numbersAndPunctuation)
                    .focused($focusedField, equals: .amount)
            } header: {
                Text("Amount")
            } footer: {
                FieldError(text: view.form.amountError)
            }
            Section {
                TextField("What's it for? (optional)", text: $store.draft.memo)
                    .submitLabel(.send)
                    .focused($focusedField, equals: .memo)
                    .onSubmit { send() }
            } header: {
                Text("Memo")
            } footer: {
                FieldError(text: view.form.memoError)
            }
            Section {
                Button(action: send) {
                    Text("Send Money")
                        .font(.headline)
                        .frame(maxWidth: .infinity)
                }
                .disabled(!view.form.sendEnabled)
            }
        }
        .scrollDismissesKeyboard(.interactively)
        .autocorrectionDisabled()
        .navigationTitle("Transfer")
        .connectionStatus(view)
    }

    private func send() {
        focusedField = nil
        store.sendTransfer()
    }
}

private struct FieldError: View {
    let text: String?

    var body: some View {
        if let text {
            Text(text).foregroundStyle(.red)
        }
    }
}
