//! Who may sign in: a device token, a password already verified, or an Argon2 check on
//! a bounded pool, with failed attempts throttled. This is what keeps a flood of
//! CONNECTs, right or wrong, from exhausting the machine.

mod cache;
pub mod throttle;
pub mod tokens;
pub mod verifier;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bank_protocol::is_token;

use crate::access::{Credential, Role, Users};
use cache::PasswordCache;
use throttle::Throttle;
use tokens::TokenStore;
use verifier::{Busy, Verifier};

/// One CONNECT's claim, as the broker received it.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub username: &'a str,
    pub secret: &'a [u8],
    pub client_id: &'a str,
    pub address: Option<IpAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed {
        role: Role,
        by_token: bool,
    },
    Refused,
    /// Too many password checks are waiting; the device may try again shortly.
    Busy,
}

pub struct Logins {
    users: Arc<Users>,
    verifier: Verifier,
    cache: PasswordCache,
    throttle: Throttle,
    /// `None` when tokens cannot be checked (no database given).
    tokens: Option<Arc<TokenStore>>,
    argon2_checks: AtomicU64,
    busy_refusals: AtomicU64,
}

impl Logins {
    pub fn new(users: Arc<Users>, tokens: Option<Arc<TokenStore>>) -> Logins {
        Logins {
            users,
            verifier: Verifier::start(),
            cache: PasswordCache::new(),
            throttle: Throttle::default(),
            tokens,
            argon2_checks: AtomicU64::new(0),
            busy_refusals: AtomicU64::new(0),
        }
    }

    /// How many passwords went through Argon2 so far.
    pub fn argon2_checks(&self) -> u64 {
        self.argon2_checks.load(Ordering::Relaxed)
    }

    pub async fn check(&self, attempt: &Attempt<'_>) -> Verdict {
        let Some((role, credential)) = self.users.credential(attempt.username) else {
            tracing::info!(username = attempt.username, address = ?attempt.address, "refused a login: unknown user");
            return Verdict::Refused;
        };
        match credential {
            Credential::Secret(expected) => match constant_time_eq(expected.as_bytes(), attempt.secret) {
                true => Verdict::Allowed { role, by_token: false },
                false => Verdict::Refused,
            },
            Credential::Hash(_) if is_token(attempt.secret) => self.check_token(role, attempt),
            Credential::Hash(phc) => self.check_password(role, phc, attempt).await,
        }
    }

    /// A token signs in only its own account's device, under that device's client id.
    fn check_token(&self, role: Role, attempt: &Attempt<'_>) -> Verdict {
        let Some(tokens) = &self.tokens else { return Verdict::Refused };
        let found = match tokens.find(attempt.secret) {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "cannot read device tokens; refusing token logins for now");
                return Verdict::Busy;
            }
        };
        let valid = found.is_some_and(|(account, device)| {
            role == Role::Account(account) && attempt.client_id == format!("bank-{account}-{device}")
        });
        if !valid {
            tracing::info!(username = attempt.username, client_id = attempt.client_id, address = ?attempt.address,
                "refused a login: unknown or revoked device token");
            return Verdict::Refused;
        }
        Verdict::Allowed { role, by_token: true }
    }

    async fn check_password(&self, role: Role, phc: &str, attempt: &Attempt<'_>) -> Verdict {
        let Attempt { username, secret, address, .. } = *attempt;
        if self.cache.contains(username, phc, secret) {
            return Verdict::Allowed { role, by_token: false };
        }
        let delay = self.throttle.delay(username, address, Instant::now());
        if !delay.is_zero() {
            tracing::warn!(username, ?address, ?delay, "throttling logins after repeated failures");
            tokio::time::sleep(delay).await;
        }
        self.argon2_checks.fetch_add(1, Ordering::Relaxed);
        match self.verifier.verify(phc, secret).await {
            Err(Busy) => {
                // Logged at 1, 2, 4, 8… so that a flood cannot flood the log too.
                let busy = self.busy_refusals.fetch_add(1, Ordering::Relaxed) + 1;
                if busy.is_power_of_two() {
                    tracing::warn!(username, ?address, busy, "refused a login: password checks are busy");
                }
                Verdict::Busy
            }
            Ok(true) => {
                tracing::info!(username, ?address, "password verified with Argon2; cached for reconnects");
                self.cache.remember(username, phc, secret);
                Verdict::Allowed { role, by_token: false }
            }
            Ok(false) => {
                tracing::info!(username, ?address, "refused a login: wrong password");
                self.throttle.failed(username, address, Instant::now());
                Verdict::Refused
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bank_protocol::AccountId;

    use super::*;

    fn logins(tokens: Option<Arc<TokenStore>>) -> Logins {
        let hash = crate::config::hash_password("s3cret").unwrap();
        let accounts = HashMap::from([(AccountId::parse("00001").unwrap(), hash.clone())]);
        let users = Users::new(accounts, Some(hash)).with_ledger_password("random".into());
        Logins::new(Arc::new(users), tokens)
    }

    fn attempt<'a>(username: &'a str, secret: &'a str, client_id: &'a str) -> Attempt<'a> {
        Attempt { username, secret: secret.as_bytes(), client_id, address: Some("127.0.0.9".parse().unwrap()) }
    }

    #[tokio::test]
    async fn the_right_secret_for_the_right_user() {
        let logins = logins(None);
        let account = Role::Account(AccountId::parse("00001").unwrap());
        let allowed = |role| Verdict::Allowed { role, by_token: false };
        assert_eq!(logins.check(&attempt("00001", "s3cret", "a")).await, allowed(account));
        assert_eq!(logins.check(&attempt("operator", "s3cret", "b")).await, allowed(Role::Operator));
        assert_eq!(logins.check(&attempt("ledger", "random", "c")).await, allowed(Role::Ledger));
        for (user, password) in
            [("00001", "demo"), ("00001", ""), ("00002", "s3cret"), ("ledger", "rando"), ("", ""), ("1", "s3cret")]
        {
            assert_eq!(logins.check(&attempt(user, password, "d")).await, Verdict::Refused, "{user}/{password}");
        }
        let no_ledger = Logins::new(Arc::new(Users::default()), None);
        assert_eq!(no_ledger.check(&attempt("ledger", "", "e")).await, Verdict::Refused);
    }

    #[tokio::test]
    async fn a_reconnect_with_a_verified_password_runs_no_argon2() {
        let logins = logins(None);
        for _ in 0..3 {
            assert!(matches!(logins.check(&attempt("00001", "s3cret", "x")).await, Verdict::Allowed { .. }));
        }
        assert_eq!(logins.argon2_checks(), 1);
        assert_eq!(logins.check(&attempt("00001", "wrong", "x")).await, Verdict::Refused);
        assert_eq!(logins.argon2_checks(), 2, "a wrong password is never cached");
    }

    #[tokio::test]
    async fn a_token_signs_in_its_own_device_only_and_runs_no_argon2() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Arc::new(TokenStore::open(&dir.path().join("ledger.sqlite3")).unwrap());
        let account = AccountId::parse("00001").unwrap();
        let token = tokens.issue(account, "a1b2c3d4e5f6", "phone", "2026-11-30T00:00:00.000Z", "r1").unwrap().unwrap();
        let logins = logins(Some(tokens.clone()));
        let by_token = Verdict::Allowed { role: Role::Account(account), by_token: true };
        assert_eq!(logins.check(&attempt("00001", &token, "bank-00001-a1b2c3d4e5f6")).await, by_token);
        assert_eq!(logins.check(&attempt("00001", &token, "bank-00001-000000000000")).await, Verdict::Refused);
        assert_eq!(logins.check(&attempt("operator", &token, "bank-00001-a1b2c3d4e5f6")).await, Verdict::Refused);
        tokens.revoke(account, Some("a1b2c3d4e5f6")).unwrap();
        assert_eq!(logins.check(&attempt("00001", &token, "bank-00001-a1b2c3d4e5f6")).await, Verdict::Refused);
        assert_eq!(logins.argon2_checks(), 0);
    }
}
