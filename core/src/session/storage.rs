//! What a device keeps on disk, in the directory its shell gives it: a stable device id,
//! and one outbox file per account so a transfer never leaves under the wrong account.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::app::PendingTransfer;
use crate::protocol::AccountId;

const DEVICE_ID_FILE: &str = "device-id";
const DEVICE_ID_HEX_CHARS: usize = 12;

#[derive(Debug)]
pub struct Storage {
    outbox_path: PathBuf,
    /// Held while the session lives: two sessions of one account on one directory would
    /// share a client id, take the broker session from each other, and overwrite each
    /// other's outbox.
    lock: Mutex<Option<fs::File>>,
}

impl Storage {
    pub fn open(root: &Path, account: AccountId) -> io::Result<Storage> {
        let dir = root.join("accounts").join(account.as_str());
        fs::create_dir_all(&dir)?;
        let lock = fs::File::create(dir.join("session.lock"))?;
        lock.try_lock().map_err(|error| match error {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::ResourceBusy,
                format!("account {account} already has a session open on this storage; close it first"),
            ),
            fs::TryLockError::Error(error) => error,
        })?;
        Ok(Storage { outbox_path: dir.join("outbox.json"), lock: Mutex::new(Some(lock)) })
    }

    pub fn release(&self) {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    pub fn outbox_path(&self) -> &Path {
        &self.outbox_path
    }

    /// A missing file is an empty outbox. A damaged one is an error, never silently
    /// emptied: it may hold money the user believes is on its way.
    pub fn load_outbox(&self) -> io::Result<Vec<PendingTransfer>> {
        match fs::read(&self.outbox_path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    /// Replaces the file atomically and durably: written aside, synced, renamed.
    pub fn save_outbox(&self, transfers: &[PendingTransfer]) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(transfers).map_err(io::Error::other)?;
        write_atomically(&self.outbox_path, &json)
    }
}

/// This device's id: random on first use, then the same for every session.
pub fn device_id(root: &Path) -> io::Result<String> {
    fs::create_dir_all(root)?;
    let path = root.join(DEVICE_ID_FILE);
    match fs::read_to_string(&path) {
        Ok(text) if is_device_id(text.trim()) => return Ok(text.trim().to_string()),
        Ok(_) => {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a device id", path.display())));
        }
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    let id: String = uuid::Uuid::new_v4().simple().to_string()[..DEVICE_ID_HEX_CHARS].to_string();
    write_atomically(&path, id.as_bytes())?;
    Ok(id)
}

fn is_device_id(text: &str) -> bool {
    text.len() == DEVICE_ID_HEX_CHARS && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent() {
        // Makes the rename itself durable; not possible on every platform, and harmless to skip there.
        let _ = fs::File::open(dir).and_then(|dir| dir.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Amount;

    #[test]
    fn the_device_id_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let id = device_id(dir.path()).unwrap();
        assert_eq!(id.len(), DEVICE_ID_HEX_CHARS);
        assert_eq!(device_id(dir.path()).unwrap(), id);
        fs::write(dir.path().join(DEVICE_ID_FILE), "../../x").unwrap();
        assert!(device_id(dir.path()).is_err());
    }

    #[test]
    fn the_outbox_survives_a_reopen_and_is_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let one = AccountId::parse("00001").unwrap();
        let storage = Storage::open(dir.path(), one).unwrap();
        assert_eq!(storage.load_outbox().unwrap(), vec![]);
        let transfer = PendingTransfer {
            id: uuid::Uuid::now_v7(),
            to: AccountId::parse("00002").unwrap(),
            amount: Amount::from_cents(500),
            memo: Some("lunch".into()),
            created_at: chrono::Utc::now(),
        };
        storage.save_outbox(std::slice::from_ref(&transfer)).unwrap();
        drop(storage);
        assert_eq!(Storage::open(dir.path(), one).unwrap().load_outbox().unwrap(), vec![transfer]);
        let two = Storage::open(dir.path(), AccountId::parse("00002").unwrap()).unwrap();
        assert_eq!(two.load_outbox().unwrap(), vec![]);
    }

    #[test]
    fn one_session_per_account_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let one = AccountId::parse("00001").unwrap();
        let first = Storage::open(dir.path(), one).unwrap();
        let error = Storage::open(dir.path(), one).unwrap_err();
        assert!(error.to_string().contains("already has a session open"), "{error}");
        assert!(Storage::open(dir.path(), AccountId::parse("00002").unwrap()).is_ok(), "other accounts are free");
        first.release();
        assert!(Storage::open(dir.path(), one).is_ok());
    }

    #[test]
    fn a_damaged_outbox_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), AccountId::parse("00001").unwrap()).unwrap();
        fs::write(storage.outbox_path(), b"[{\"id\":").unwrap();
        assert_eq!(storage.load_outbox().unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
