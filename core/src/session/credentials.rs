//! Where a device keeps its token between runs. Phones implement [`CredentialStore`] over
//! the Android Keystore or the iOS Keychain; `bank` and the desktop use
//! [`FileCredentialStore`], a file only its owner may read.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use crate::protocol::AccountId;

/// The shell's secure storage, keyed by account. Called on the core's threads; a failed
/// save only means the next run signs in with the password again.
#[cfg_attr(feature = "uniffi", uniffi::export(foreign))]
pub trait CredentialStore: Send + Sync {
    fn load(&self, account: String) -> Option<String>;
    fn save(&self, account: String, token: String);
    fn delete(&self, account: String);
}

/// `{storage_dir}/accounts/{account}/device-token`, mode 0600.
pub struct FileCredentialStore {
    root: PathBuf,
}

impl FileCredentialStore {
    pub fn new(storage_dir: impl Into<PathBuf>) -> FileCredentialStore {
        FileCredentialStore { root: storage_dir.into() }
    }

    fn path(&self, account: &str) -> Option<PathBuf> {
        let account = AccountId::parse(account)?;
        Some(self.root.join("accounts").join(account.as_str()).join("device-token"))
    }
}

impl CredentialStore for FileCredentialStore {
    fn load(&self, account: String) -> Option<String> {
        let token = fs::read_to_string(self.path(&account)?).ok()?;
        Some(token.trim().to_string()).filter(|token| !token.is_empty())
    }

    fn save(&self, account: String, token: String) {
        let Some(path) = self.path(&account) else { return };
        let written = path.parent().map_or(Ok(()), fs::create_dir_all).and_then(|()| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&path)?.write_all(token.as_bytes())
        });
        if let Err(error) = written {
            eprintln!("bank-core: cannot keep the device token in {}: {error}", path.display());
        }
    }

    fn delete(&self, account: String) {
        if let Some(path) = self.path(&account) {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_is_per_account_private_and_deletable() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileCredentialStore::new(dir.path());
        assert_eq!(store.load("00001".into()), None);
        store.save("00001".into(), "bt1.secret".into());
        assert_eq!(store.load("00001".into()).as_deref(), Some("bt1.secret"));
        assert_eq!(store.load("00002".into()), None);
        let path = dir.path().join("accounts/00001/device-token");
        #[cfg(unix)]
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&path).unwrap().permissions()) & 0o777, 0o600);
        store.delete("00001".into());
        assert_eq!(store.load("00001".into()), None);
        store.save("../../etc".into(), "x".into());
        assert!(!dir.path().join("etc").exists(), "only account numbers name files");
    }
}
