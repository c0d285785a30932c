//! Topic names. Every topic embeds the account it concerns, which is what lets
//! the broker's ACL keep one account's devices out of another account's money.

use super::AccountId;

pub const TRANSFER_REQUEST_ALL: &str = "bank/transfer/request/+";
pub const HISTORY_REQUEST_ALL: &str = "bank/history/request/+";
/// Token topics live outside `bank/` on purpose: the operator may read all of `bank/#`,
/// and must never see a device's token.
pub const TOKEN_ISSUE_ALL: &str = "token/issue/+/+";
pub const TOKEN_REVOKE_ALL: &str = "token/revoke/+/+";
/// Every token topic: no one but the device it names may read a token result.
pub const TOKEN_ALL: &str = "token/#";
pub const LEDGER_STATUS: &str = "bank/ledger/status";
pub const TRANSFER_FEED: &str = "bank/ledger/transfers";
/// What the operator's explorer subscribes to.
pub const BALANCE_UPDATE_ALL: &str = "bank/balanceUpdate/+";
pub const PRESENCE_ALL: &str = "bank/presence/+/+";

pub fn transfer_request(account: AccountId) -> String {
    format!("bank/transfer/request/{account}")
}

pub fn transfer_result(account: AccountId) -> String {
    format!("bank/transfer/result/{account}")
}

pub fn balance_update(account: AccountId) -> String {
    format!("bank/balanceUpdate/{account}")
}

pub fn history_request(account: AccountId) -> String {
    format!("bank/history/request/{account}")
}

pub fn history_result(account: AccountId) -> String {
    format!("bank/history/result/{account}")
}

pub fn presence(account: AccountId, device: &str) -> String {
    format!("bank/presence/{account}/{device}")
}

pub fn token_issue(account: AccountId, device: &str) -> String {
    format!("token/issue/{account}/{device}")
}

pub fn token_revoke(account: AccountId, device: &str) -> String {
    format!("token/revoke/{account}/{device}")
}

pub fn token_result(account: AccountId, device: &str) -> String {
    format!("token/result/{account}/{device}")
}

/// A device id as a topic level: what follows the account in presence and token topics.
pub fn is_device_id(level: &str) -> bool {
    (1..=DEVICE_ID_BYTES_MAX).contains(&level.len()) && !level.contains(['/', '+', '#'])
}

/// Bounds a device id, and so the client id `bank-{account}-{device}` built from it.
pub const DEVICE_ID_BYTES_MAX: usize = 64;

/// Filter matching the presence of every device of one account.
pub fn presence_all(account: AccountId) -> String {
    format!("bank/presence/{account}/+")
}

/// A topic the ledger receives, decoded. Anything else is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    TransferRequest(AccountId),
    HistoryRequest(AccountId),
    /// The account and the device asking for its own token.
    TokenIssue(AccountId, &'a str),
    /// The account and the device asking (it names the device to revoke in the payload).
    TokenRevoke(AccountId, &'a str),
}

impl<'a> Inbound<'a> {
    pub fn parse(topic: &'a str) -> Option<Inbound<'a>> {
        if let Some(account) = topic.strip_prefix("bank/transfer/request/") {
            return AccountId::parse(account).map(Inbound::TransferRequest);
        }
        if let Some(account) = topic.strip_prefix("bank/history/request/") {
            return AccountId::parse(account).map(Inbound::HistoryRequest);
        }
        if let Some(rest) = topic.strip_prefix("token/issue/") {
            return account_and_device(rest).map(|(account, device)| Inbound::TokenIssue(account, device));
        }
        let rest = topic.strip_prefix("token/revoke/")?;
        account_and_device(rest).map(|(account, device)| Inbound::TokenRevoke(account, device))
    }
}

/// `{account}/{device}`, both valid.
pub fn account_and_device(levels: &str) -> Option<(AccountId, &str)> {
    let (account, device) = levels.split_once('/')?;
    AccountId::parse(account).filter(|_| is_device_id(device)).map(|account| (account, device))
}

/// A topic the operator's explorer receives, decoded. Anything else is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched<'a> {
    BalanceUpdate(AccountId),
    /// The account and the device id.
    Presence(AccountId, &'a str),
    LedgerStatus,
    TransferFeed,
}

impl<'a> Watched<'a> {
    pub fn parse(topic: &'a str) -> Option<Watched<'a>> {
        match topic {
            LEDGER_STATUS => return Some(Watched::LedgerStatus),
            TRANSFER_FEED => return Some(Watched::TransferFeed),
            _ => {}
        }
        if let Some(account) = topic.strip_prefix("bank/balanceUpdate/") {
            return AccountId::parse(account).map(Watched::BalanceUpdate);
        }
        let (account, device) = account_and_device(topic.strip_prefix("bank/presence/")?)?;
        Some(Watched::Presence(account, device))
    }
}

/// Whether every topic matched by `filter` is also matched by `allowed`
/// (both MQTT topic filters). This is how a subscription is checked against an ACL
/// rule: `bank/presence/00001/+` lies within itself, `#` lies within nothing narrower.
pub fn filter_within(filter: &str, allowed: &str) -> bool {
    let mut filter_levels = filter.split('/');
    let mut allowed_levels = allowed.split('/');
    loop {
        match (filter_levels.next(), allowed_levels.next()) {
            // `#` covers every level below, and the parent level too (MQTT 3.1.1 §4.7.1.2).
            (_, Some("#")) => return true,
            (None, None) => return true,
            (Some("#"), _) => return false,
            (Some(_), Some("+")) => continue,
            (Some(level), Some(rule)) if level == rule && level != "+" => continue,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_topics() {
        let account = AccountId::parse("00001").unwrap();
        assert_eq!(transfer_request(account), "bank/transfer/request/00001");
        assert_eq!(balance_update(account), "bank/balanceUpdate/00001");
        assert_eq!(presence(account, "phone"), "bank/presence/00001/phone");
        assert_eq!(Inbound::parse("bank/transfer/request/00001"), Some(Inbound::TransferRequest(account)));
        assert_eq!(Inbound::parse("bank/history/request/00001"), Some(Inbound::HistoryRequest(account)));
        assert_eq!(Inbound::parse("bank/transfer/request/1"), None);
        assert_eq!(Inbound::parse("bank/transfer/request/00001/x"), None);
        assert_eq!(Inbound::parse("bank/balanceUpdate/00001"), None);
        assert_eq!(Inbound::parse("token/issue/00001/a1b2"), Some(Inbound::TokenIssue(account, "a1b2")));
        assert_eq!(Inbound::parse("token/revoke/00001/a1b2"), Some(Inbound::TokenRevoke(account, "a1b2")));
        for topic in ["token/issue/00001", "token/issue/00001/", "token/issue/00001/a/b"] {
            assert_eq!(Inbound::parse(topic), None, "{topic}");
        }
        assert_eq!(Inbound::parse(&format!("token/issue/00001/{}", "a".repeat(65))), None);
    }

    #[test]
    fn parses_what_the_operator_watches() {
        let account = AccountId::parse("00001").unwrap();
        assert_eq!(Watched::parse(&balance_update(account)), Some(Watched::BalanceUpdate(account)));
        assert_eq!(Watched::parse(&presence(account, "a1b2")), Some(Watched::Presence(account, "a1b2")));
        assert_eq!(Watched::parse(LEDGER_STATUS), Some(Watched::LedgerStatus));
        assert_eq!(Watched::parse(TRANSFER_FEED), Some(Watched::TransferFeed));
        for topic in [
            "bank/balanceUpdate/1",
            "bank/presence/00001",
            "bank/presence/00001/",
            "bank/presence/abc/x",
            "bank/presence/00001/a/b",
            "bank/transfer/result/00001",
            "bank/elsewhere",
        ] {
            assert_eq!(Watched::parse(topic), None, "{topic}");
        }
    }

    #[test]
    fn filter_within_is_a_subset_test() {
        assert!(filter_within("bank/balanceUpdate/00001", "bank/balanceUpdate/00001"));
        assert!(filter_within("bank/presence/00001/+", "bank/presence/00001/+"));
        assert!(filter_within("bank/presence/00001/phone", "bank/presence/00001/+"));
        assert!(filter_within("bank/balanceUpdate/+", "bank/#"));
        assert!(filter_within("bank/#", "bank/#"));
        assert!(filter_within("bank", "bank/#"), "`bank/#` also matches the parent level");

        assert!(!filter_within("#", "bank/#"));
        assert!(!filter_within("bank/balanceUpdate/+", "bank/balanceUpdate/00001"));
        assert!(!filter_within("bank/balanceUpdate/#", "bank/balanceUpdate/00001"));
        assert!(!filter_within("bank/presence/00001/#", "bank/presence/00001/+"));
        assert!(!filter_within("bank/presence/+/+", "bank/presence/00001/+"));
        assert!(!filter_within("bank/presence/00001/a/b", "bank/presence/00001/+"));
        assert!(!filter_within("bank/balanceUpdate/00002", "bank/balanceUpdate/00001"));
        assert!(!filter_within("bank/balanceUpdate", "bank/balanceUpdate/00001"));
        assert!(!filter_within("$SYS/#", "bank/#"));
    }
}
