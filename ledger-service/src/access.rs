//! Who may log in, and what each user may publish and subscribe to.
//!
//! The rules are the protocol's security boundary: an account user can only write
//! requests for its own account and only read its own results and balance.
//! The embedded broker calls these functions; `deploy/mosquitto/make-dynsec.py` states the same rules for Mosquitto.
//! Operator-only topics (the transfer feed, the broker's channel status) live under `bank/`
//! and are in no account's list, so only the operator's `bank/#` reaches them.

use std::collections::HashMap;

use bank_protocol::{AccountId, Topic, filter_within, is_device_id, topics};

use crate::login::verifier;

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

/// What proves a user's identity.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    /// The ledger's own random password, compared in constant time.
    Secret(&'a str),
    /// An Argon2 PHC string.
    Hash(&'a str),
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

    /// The role a username stands for and what proves it, `None` for unknown users.
    pub fn credential(&self, username: &str) -> Option<(Role, Credential<'_>)> {
        let role = Role::of_username(username)?;
        let credential = match role {
            Role::Ledger => Credential::Secret(self.ledger_password.as_deref()?),
            Role::Operator => Credential::Hash(self.operator.as_deref()?),
            Role::Account(account) => Credential::Hash(self.accounts.get(&account)?),
        };
        Some((role, credential))
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

/// A signed-in client, as the ACL sees it.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub role: Role,
    pub client_id: &'a str,
    /// Signed in with a device token rather than the password.
    pub by_token: bool,
}

impl Client<'_> {
    /// The device of a bank-core client id, `bank-{account}-{device}`.
    fn own_device(&self, account: AccountId) -> Option<&str> {
        let device = self.client_id.strip_prefix("bank-")?.strip_prefix(account.as_str())?.strip_prefix('-')?;
        is_device_id(device).then_some(device)
    }
}

pub fn may_publish(client: Client, topic: &str) -> bool {
    let account = match client.role {
        Role::Ledger => return true,
        Role::Operator => return false,
        Role::Account(account) => account,
    };
    let own_device = |device: &str| client.own_device(account) == Some(device);
    match Topic::parse(topic) {
        Some(Topic::TransferRequest(payer)) | Some(Topic::HistoryRequest(payer)) => payer == account,
        // A token cannot mint tokens: only the password may, for the device it signs in.
        Some(Topic::TokenIssue(owner, device)) => owner == account && own_device(device) && !client.by_token,
        Some(Topic::TokenRevoke(owner, device)) => owner == account && own_device(device),
        Some(Topic::Presence(owner, _)) => owner == account,
        _ => false,
    }
}

pub fn may_subscribe(client: Client, filter: &str) -> bool {
    match client.role {
        Role::Ledger => true,
        Role::Operator => filter_within(filter, "bank/#"),
        Role::Account(account) => {
            let token_result = client.own_device(account).map(|device| Topic::TokenResult(account, device).to_string());
            [
                Some(Topic::TransferResult(account).to_string()),
                Some(Topic::BalanceUpdate(account).to_string()),
                Some(Topic::HistoryResult(account).to_string()),
                Some(topics::presence_all(account)),
                Some(topics::LEDGER_STATUS.to_string()),
                token_result,
            ]
            .iter()
            .flatten()
            .any(|allowed| filter_within(filter, allowed))
        }
    }
}

fn password_matches(phc: &str, password: &str) -> bool {
    verifier::matches(phc, password.as_bytes(), &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: &str = "bank-00001-a1b2c3d4e5f6";

    fn account(id: &str) -> Client<'static> {
        Client { role: Role::Account(AccountId::parse(id).unwrap()), client_id: PHONE, by_token: false }
    }

    fn operator() -> Client<'static> {
        Client { role: Role::Operator, client_id: "explorer", by_token: false }
    }

    #[test]
    fn an_account_publishes_only_its_own_requests_and_presence() {
        let me = account("00001");
        for topic in [
            "bank/transfer/request/00001",
            "bank/history/request/00001",
            "bank/presence/00001/phone",
            "token/issue/00001/a1b2c3d4e5f6",
            "token/revoke/00001/a1b2c3d4e5f6",
        ] {
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
            "token/issue/00001/000000000000",
            "token/revoke/00001/000000000000",
            "token/issue/00002/a1b2c3d4e5f6",
            "token/result/00001/a1b2c3d4e5f6",
        ] {
            assert!(!may_publish(me, topic), "{topic}");
        }
    }

    #[test]
    fn a_token_cannot_mint_tokens_but_can_revoke() {
        let me = Client { by_token: true, ..account("00001") };
        assert!(!may_publish(me, "token/issue/00001/a1b2c3d4e5f6"));
        assert!(may_publish(me, "token/revoke/00001/a1b2c3d4e5f6"));
        let other_client = Client { client_id: "mosquitto_pub-123", ..account("00001") };
        assert!(!may_publish(other_client, "token/issue/00001/a1b2c3d4e5f6"));
        assert!(!may_subscribe(other_client, "token/result/00001/+"));
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
            "token/result/00001/a1b2c3d4e5f6",
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
            "token/result/00001/+",
            "token/result/00001/000000000000",
            "token/#",
        ] {
            assert!(!may_subscribe(me, filter), "{filter}");
        }
    }

    #[test]
    fn only_the_ledger_publishes_the_broker_status_and_only_the_operator_reads_it() {
        let ledger = Client { role: Role::Ledger, client_id: "ledger", by_token: false };
        assert!(may_publish(ledger, topics::BROKER_STATUS));
        for client in [operator(), account("00001")] {
            assert!(!may_publish(client, topics::BROKER_STATUS), "{client:?}");
        }
        for filter in [topics::BROKER_STATUS, "bank/broker/#", "bank/broker/+"] {
            assert!(may_subscribe(operator(), filter), "{filter}");
            assert!(!may_subscribe(account("00001"), filter), "{filter}");
        }
    }

    #[test]
    fn the_operator_reads_the_bank_but_no_token_and_writes_nothing() {
        for filter in ["bank/#", "bank/balanceUpdate/+", "bank/ledger/#", "bank/presence/+/+"] {
            assert!(may_subscribe(operator(), filter), "{filter}");
        }
        for filter in ["#", "$SYS/#", "+/result/#", "token/result/+/+", "token/#"] {
            assert!(!may_subscribe(operator(), filter), "{filter}");
        }
        assert!(!may_publish(operator(), "bank/transfer/request/00001"));
        assert!(!may_publish(operator(), "bank/presence/00001/x"));
    }
}
