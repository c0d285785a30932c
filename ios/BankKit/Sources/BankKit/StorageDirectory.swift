import Foundation

extension BankStore {
    /// Where the app's core keeps its files: `Application Support/bank-core`. It survives
    /// restarts (the core keeps this phone's device id, its unsent transfers and the last
    /// login there) but stays out of backups: a copy restored on another phone would share
    /// the device id. Best effort: if the directory cannot be made, the core says why when
    /// a session opens.
    public nonisolated static func appStorageDirectory() -> String {
        let files = FileManager.default
        var directory = files.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("bank-core", isDirectory: true)
        try? files.createDirectory(at: directory, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? directory.setResourceValues(values)
        return directory.path
    }
}
