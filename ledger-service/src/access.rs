//! Who may log in, and what each user may publish and subscribe to.
//!
//! The rules are the protocol's security boundary: an account user can only write
//! requests for its own account and only read its own results and balance.
//! The embedded broker calls these functions; `deploy/mosquitto/make-dynsec.py` states the same rules for Mosquitto.

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use bank_core::protocol::{AccountId, filter_within, topics};

pub const LEDGER_USER: &str = "ledger";
pub const OPERATOR_USER: &str = "operator";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The ledger service itself: may do everything.
    Ledger,
    /// Read-only view of every account, for the desktop's operator explorer.
    Operator,
    Account(AccountId),
}

impl Role {
    /// The role a username stands for; authentication decides whether it is granted.
    pub fn of_username(username: &str) -> Option<Role> {
        match username {
            LEDGER_USER => Some(Role::Ledger),
            OPERATOR_USER => Some(Role::Operator),
            _ => AccountId::parse(username).map(Role::Account),
        }
    }
}

/// The users the broker accepts. Passwords are stored as Argon2 PHC strings only.
#[derive(Clone, Debug, Default)]
pub struct Users {
    accounts: HashMap<AccountId, String>,
    operator: Option<String>,
    /// Set in embedded mode: a random password, generated per run, known only to this process.
    ledger_password: Option<String>,
}

impl Users {
    pub fn new(accounts: HashMap<AccountId, String>, operator: Option<String>) -> Users {
        Users { accounts, operator, ledger_password: None }
    }

    pub fn with_ledger_password(mut self, password: String) -> Users {
        self.ledger_password = Some(password);
        self
    }

    /// The role of a user whose password is right, `None` otherwise.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<Role> {
        if username == LEDGER_USER {
            let expected = self.ledger_password.as_deref()?;
            return constant_time_eq(expected.as_bytes(), password.as_bytes()).then_some(Role::Ledger);
        }
        if username == OPERATOR_USER {
            return password_matches(self.operator.as_deref()?, password).then_some(Role::Operator);
        }
        let account = AccountId::parse(username)?;
        password_matches(self.accounts.get(&account)?, password).then_some(Role::Account(account))
    }

    /// Users that still accept a well-known demo password; worth a warning on a real network.
    pub fn with_demo_passwords(&self) -> Vec<String> {
        let mut users: Vec<String> = (self.accounts.iter())
            .filter(|(_, hash)| password_matches(hash, "demo"))
            .map(|(account, _)| account.to_string())
            .collect();
        users.sort();
        if self.operator.as_deref().is_some_and(|hash| password_matches(hash, OPERATOR_USER)) {
            users.push(OPERATOR_USER.to_string());
        }
        users
    }
}

pub fn may_publish(role: Role, topic: &str) -> bool {
    match role {
        Role::Ledger => true,
        Role::Operator => false,
        Role::Account(account) => {
            topic == topics::transfer_request(account)
                || topic == topics::history_request(account)
                || is_own_presence(account, topic)
        }
    }
}

pub fn may_subscribe(role: Role, filter: &str) -> bool {
    match role {
        Role::Ledger => true,
        Role::Operator => filter_within(filter, "bank/#"),
        Role::Account(account) => [
            topics::transfer_result(account),
            topics::balance_update(account),
            topics::history_result(account),
            topics::presence_all(account),
            topics::LEDGER_STATUS.to_string(),
        ]
        .iter()
        .any(|allowed| filter_within(filter, allowed)),
    }
}

/// `bank/presence/{account}/{device}` with a single, non-wildcard device level.
fn is_own_presence(account: AccountId, topic: &str) -> bool {
    let prefix = topics::presence(account, "");
    topic.strip_prefix(&prefix).is_some_and(|device| !device.is_empty() && !device.contains(['/', '+', '#']))
}

fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> Role {
        Role::Account(AccountId::parse(id).unwrap())
    }

    #[test]
    fn an_account_publishes_only_its_own_requests_and_presence() {
        let me = account("00001");
        for topic in ["bank/transfer/request/00001", "bank/history/request/00001", "bank/presence/00001/phone"] {
            assert!(may_publish(me, topic), "{topic}");
        }
        for topic in [
            "bank/transfer/request/00002",
            "bank/history/request/00002",
            "bank/presence/00002/phone",
            "bank/presence/00001/",
            "bank/presence/00001/a/b",
            "bank/balanceUpdate/00001",
            "bank/transfer/result/00001",
            "bank/ledger/status",
            "bank/transfer/request/00001/x",
        ] {
            assert!(!may_publish(me, topic), "{topic}");
        }
    }

    #[test]
    fn an_account_reads_only_its_own_topics() {
        let me = account("00001");
        for filter in [
            "bank/transfer/result/00001",
            "bank/balanceUpdate/00001",
            "bank/history/result/00001",
            "bank/presence/00001/+",
            "bank/presence/00001/tablet",
            "bank/ledger/status",
        ] {
            assert!(may_subscribe(me, filter), "{filter}");
        }
        for filter in [
            "#",
            "bank/#",
            "bank/balanceUpdate/+",
            "bank/balanceUpdate/00002",
            "bank/transfer/result/+",
            "bank/transfer/request/00001",
            "bank/presence/+/+",
            "bank/presence/00001/#",
            "$SYS/#",
        ] {
            assert!(!may_subscribe(me, filter), "{filter}");
        }
    }

    #[test]
    fn the_operator_reads_the_bank_and_writes_nothing() {
        assert!(may_subscribe(Role::Operator, "bank/#"));
        assert!(may_subscribe(Role::Operator, "bank/balanceUpdate/+"));
        assert!(!may_subscribe(Role::Operator, "#"));
        assert!(!may_subscribe(Role::Operator, "$SYS/#"));
        assert!(!may_publish(Role::Operator, "bank/transfer/request/00001"));
        assert!(!may_publish(Role::Operator, "bank/presence/00001/x"));
    }

    #[test]
    fn authentication_needs_the_right_password_for_the_right_user() {
        let hash = crate::config::hash_password("s3cret").unwrap();
        let accounts = HashMap::from([(AccountId::parse("00001").unwrap(), hash.clone())]);
        let users = Users::new(accounts, Some(hash)).with_ledger_password("random".into());
        assert_eq!(users.authenticate("00001", "s3cret"), Some(account("00001")));
        assert_eq!(users.authenticate("operator", "s3cret"), Some(Role::Operator));
        assert_eq!(users.authenticate("ledger", "random"), Some(Role::Ledger));
        for (user, password) in
            [("00001", "demo"), ("00001", ""), ("00002", "s3cret"), ("ledger", "rando"), ("", ""), ("1", "s3cret")]
        {
            assert_eq!(users.authenticate(user, password), None, "{user}/{password}");
        }
        assert_eq!(Users::default().authenticate("ledger", ""), None, "no ledger login without a password set");
        assert!(users.with_demo_passwords().is_empty());
    }
}
