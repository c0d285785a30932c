//! Device tokens, kept in the ledger's SQLite file as SHA-256 digests only. A token is
//! 256 random bits, so a fast hash is enough: nobody can guess one, and a stolen database
//! gives no token back. One token per (account, device); issuing again replaces it, but
//! the same request twice issues once: a device sends its request again when it cannot
//! tell whether the ledger was listening.
//! The table lives beside the ledger's, so tokens survive restarts and `ledger-service
//! tokens revoke` can end one while the service runs: every sign-in reads the table.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use bank_protocol::{AccountId, TOKEN_PREFIX};
use base64ct::{Base64UrlUnpadded, Encoding};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::ledger::StoreError;

const TOKEN_BYTES: usize = 32;
/// A sign-in waits this long for the ledger's writer before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS device_tokens (
    account      TEXT NOT NULL,
    device       TEXT NOT NULL,
    name         TEXT NOT NULL,
    token_sha256 BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    issued_at    TEXT NOT NULL,
    request_id   TEXT,
    PRIMARY KEY (account, device)
) STRICT;
";

/// Databases from before `request_id` get the column; their tokens keep working.
const ADD_REQUEST_ID: &str = "ALTER TABLE device_tokens ADD COLUMN request_id TEXT";

/// A device that holds a token, for listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceToken {
    pub account: AccountId,
    pub device: String,
    pub name: String,
    pub issued_at: String,
}

pub struct TokenStore {
    connection: Mutex<Connection>,
}

impl TokenStore {
    pub fn open(path: &Path) -> Result<TokenStore, StoreError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        connection.execute_batch(SCHEMA)?;
        let has_request_id: bool = connection.query_row(
            "SELECT count(*) FROM pragma_table_info('device_tokens') WHERE name = 'request_id'",
            [],
            |row| row.get(0),
        )?;
        if !has_request_id {
            connection.execute_batch(ADD_REQUEST_ID)?;
        }
        Ok(TokenStore { connection: Mutex::new(connection) })
    }

    /// A new token for `device`, replacing any it had, unless `request_id` already got
    /// the current one (`None`: that token stays). Durable before it returns.
    pub fn issue(
        &self,
        account: AccountId,
        device: &str,
        name: &str,
        at: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut secret = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", Base64UrlUnpadded::encode_string(&secret));
        let changed = self.lock().execute(
            "INSERT INTO device_tokens (account, device, name, token_sha256, issued_at, request_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account, device) DO UPDATE SET name = ?3, token_sha256 = ?4, issued_at = ?5, request_id = ?6
             WHERE request_id IS NOT ?6",
            params![account.as_str(), device, name, &digest(&token)[..], at, request_id],
        )?;
        Ok((changed == 1).then_some(token))
    }

    /// Ends the token of one device of `account`, or of all of them; returns how many ended.
    pub fn revoke(&self, account: AccountId, device: Option<&str>) -> Result<usize, StoreError> {
        let connection = self.lock();
        let revoked = match device {
            Some(device) => connection.execute(
                "DELETE FROM device_tokens WHERE account = ?1 AND device = ?2",
                params![account.as_str(), device],
            )?,
            None => connection.execute("DELETE FROM device_tokens WHERE account = ?1", params![account.as_str()])?,
        };
        Ok(revoked)
    }

    /// The account and device a token belongs to, if it is current.
    pub fn find(&self, token: &[u8]) -> Result<Option<(AccountId, String)>, StoreError> {
        let connection = self.lock();
        let mut query =
            connection.prepare_cached("SELECT account, device FROM device_tokens WHERE token_sha256 = ?1")?;
        let found = query
            .query_row(params![&digest(token)[..]], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
            .optional()?;
        Ok(found.and_then(|(account, device)| Some((AccountId::parse(&account)?, device))))
    }

    pub fn list(&self) -> Result<Vec<DeviceToken>, StoreError> {
        let connection = self.lock();
        let mut query = connection
            .prepare("SELECT account, device, name, issued_at FROM device_tokens ORDER BY account, issued_at")?;
        let rows = query.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get(3)?))
        })?;
        let mut tokens = Vec::new();
        for row in rows {
            let (account, device, name, issued_at) = row?;
            let account = AccountId::parse(&account)
                .ok_or_else(|| StoreError::Corrupt(format!("device token of account {account:?}")))?;
            tokens.push(DeviceToken { account, device, name, issued_at });
        }
        Ok(tokens)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn digest(token: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(token.as_ref()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_a_reopen_belong_to_one_device_and_can_be_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let (one, two) = (AccountId::parse("00001").unwrap(), AccountId::parse("00002").unwrap());
        let store = TokenStore::open(&path).unwrap();
        let at = "2026-11-30T00:00:00.000Z";
        let phone = store.issue(one, "a1b2c3d4e5f6", "Pixel 8", at, "r1").unwrap().unwrap();
        let tablet = store.issue(one, "0000000000aa", "iPad", at, "r1").unwrap().unwrap();
        store.issue(two, "a1b2c3d4e5f6", "Phone", at, "r1").unwrap();
        assert_eq!(store.issue(one, "a1b2c3d4e5f6", "Pixel 8", at, "r1").unwrap(), None, "one token per request");
        assert!(phone.starts_with(TOKEN_PREFIX) && phone.len() == TOKEN_PREFIX.len() + 43, "{phone}");
        drop(store);

        let store = TokenStore::open(&path).unwrap();
        assert_eq!(store.find(phone.as_bytes()).unwrap(), Some((one, "a1b2c3d4e5f6".to_string())));
        assert_eq!(store.find(b"bt1.guess").unwrap(), None);
        let renewed = store.issue(one, "a1b2c3d4e5f6", "Pixel 8", "2026-11-30T00:01:00.000Z", "r2").unwrap().unwrap();
        assert_eq!(store.find(phone.as_bytes()).unwrap(), None, "issuing again replaces the old token");
        assert_eq!(store.revoke(one, Some("a1b2c3d4e5f6")).unwrap(), 1);
        assert_eq!(store.find(renewed.as_bytes()).unwrap(), None);
        assert!(store.find(tablet.as_bytes()).unwrap().is_some(), "other devices keep theirs");
        assert_eq!(store.list().unwrap().len(), 2);
        assert_eq!(store.revoke(one, None).unwrap(), 1);
        assert_eq!(store.list().unwrap().iter().map(|token| token.account).collect::<Vec<_>>(), [two]);
    }

    #[test]
    fn a_database_from_before_request_ids_keeps_its_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let old = SCHEMA.replace("    request_id   TEXT,\n", "");
        assert_ne!(old, SCHEMA);
        let connection = Connection::open(&path).unwrap();
        connection.execute_batch(&old).unwrap();
        connection
            .execute(
                "INSERT INTO device_tokens VALUES ('00001', 'a1b2c3d4e5f6', 'Pixel', ?1, 'then')",
                params![&digest("bt1.old")[..]],
            )
            .unwrap();
        drop(connection);
        let store = TokenStore::open(&path).unwrap();
        assert!(store.find(b"bt1.old").unwrap().is_some());
        let one = AccountId::parse("00001").unwrap();
        assert!(store.issue(one, "a1b2c3d4e5f6", "Pixel", "now", "r1").unwrap().is_some());
    }
}
