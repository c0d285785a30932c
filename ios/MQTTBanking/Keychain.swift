import BankCore
import Foundation
import Security

/// This phone's device tokens, for the core: one generic-password Keychain item per account
/// number, readable only while the phone is unlocked and never moved to another device. The
/// core saves a token after signing in with the password, and deletes it when it is revoked
/// or on sign-out. No password is kept. The core calls this on threads of its own; the
/// Keychain may be used from any thread.
final class Keychain: CredentialStore {
    static let shared = Keychain()

    private let service = "MQTT Banking device token"

    private init() {
        // Earlier versions kept the password itself, under this service: drop it.
        let passwords: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: "MQTT Banking",
        ]
        SecItemDelete(passwords as CFDictionary)
    }

    func load(account: String) -> String? {
        var query = itemQuery(account: account)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &result) == errSecSuccess,
              let data = result as? Data
        else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// Best effort: if the Keychain refuses, the next start asks for the password. The
    /// earlier token goes first either way, since the ledger ended it when it issued this one.
    func save(account: String, token: String) {
        delete(account: account)
        var item = itemQuery(account: account)
        item[kSecValueData as String] = Data(token.utf8)
        // Readable only while the phone is unlocked, and never moved to another device.
        item[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        SecItemAdd(item as CFDictionary, nil)
    }

    func delete(account: String) {
        SecItemDelete(itemQuery(account: account) as CFDictionary)
    }

    private func itemQuery(account: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }
}
