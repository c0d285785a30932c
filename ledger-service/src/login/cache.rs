//! Passwords already verified, so that a device or tool that reconnects with its password
//! (`mosquitto_sub`, say) does not run Argon2 again.
//!
//! Nothing here can give a password back: each entry is an HMAC-SHA-256, under a key
//! drawn at startup and never stored, of the username, the stored PHC hash and the
//! password. A changed hash in the config can therefore never match an old entry.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One entry per user, so the number of users bounds it; this is a second bound.
const ENTRIES_MAX: usize = 100_000;

type Digest = [u8; 32];

pub struct PasswordCache {
    key: [u8; 32],
    /// The one verified password of each user, as a digest.
    verified: Mutex<HashMap<String, Digest>>,
}

impl PasswordCache {
    pub fn new() -> PasswordCache {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        PasswordCache { key, verified: Mutex::new(HashMap::new()) }
    }

    pub fn contains(&self, username: &str, phc: &str, password: &[u8]) -> bool {
        let digest = self.digest(username, phc, password);
        let verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        // Equal-length digests of a secret key: comparing them leaks nothing usable.
        verified.get(username).is_some_and(|known| *known == digest)
    }

    pub fn remember(&self, username: &str, phc: &str, password: &[u8]) {
        let digest = self.digest(username, phc, password);
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= ENTRIES_MAX && !verified.contains_key(username) {
            verified.clear();
        }
        verified.insert(username.to_string(), digest);
    }

    fn digest(&self, username: &str, phc: &str, password: &[u8]) -> Digest {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        for part in [username.as_bytes(), phc.as_bytes(), password] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_the_verified_password_of_the_same_hash() {
        let cache = PasswordCache::new();
        assert!(!cache.contains("00001", "$hash1", b"demo"));
        cache.remember("00001", "$hash1", b"demo");
        assert!(cache.contains("00001", "$hash1", b"demo"));
        assert!(!cache.contains("00001", "$hash1", b"demo2"));
        assert!(!cache.contains("00002", "$hash1", b"demo"));
        assert!(!cache.contains("00001", "$hash2", b"demo"), "a new hash in the config invalidates");
        assert!(!PasswordCache::new().contains("00001", "$hash1", b"demo"), "the key is per process");
    }
}
