//! Topic names. Every topic embeds the account it concerns, which is what lets
//! the broker's ACL keep one account's devices out of another account's money.

use super::AccountId;

pub const TRANSFER_REQUEST_ALL: &str = "bank/transfer/request/+";
pub const HISTORY_REQUEST_ALL: &str = "bank/history/request/+";
/// Token topics live outside `bank/` on purpose: the operator may read all of `bank/#`,
/// and must never see a device's token.
pub const TOKEN_ISSUE_ALL: &str = "token/issue/+/+";
pub const TOKEN_REVOKE_ALL: &str = "token/revoke/+/+";
pub const LEDGER_STATUS: &str = "bank/ledger/status";
pub const TRANSFER_FEED: &str = "bank/ledger/transfers";
/// The embedded broker's channel status, for the operator only.
pub const BROKER_STATUS: &str = "bank/broker/status";
/// What the operator's explorer subscribes to.
pub const BALANCE_UPDATE_ALL: &str = "bank/balanceUpdate/+";
pub const PRESENCE_ALL: &str = "bank/presence/+/+";

/// Every topic of the protocol, as one type: [`Topic::parse`] is the only place a topic
/// string is decoded, and `Display` the only place one is built. The ledger, the broker's
/// access rules, the app and the operator's explorer all match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic<'a> {
    TransferRequest(AccountId),
    TransferResult(AccountId),
    BalanceUpdate(AccountId),
    HistoryRequest(AccountId),
    HistoryResult(AccountId),
    /// The account and the device id.
    Presence(AccountId, &'a str),
    /// The account and the device asking for its own token.
    TokenIssue(AccountId, &'a str),
    /// The account and the device asking (it names the device to revoke in the payload).
    TokenRevoke(AccountId, &'a str),
    TokenResult(AccountId, &'a str),
    LedgerStatus,
    TransferFeed,
    BrokerStatus,
}

impl<'a> Topic<'a> {
    /// The topic, if `topic` is exactly one of the protocol's; `None` for anything else.
    pub fn parse(topic: &'a str) -> Option<Topic<'a>> {
        match topic {
            LEDGER_STATUS => return Some(Topic::LedgerStatus),
            TRANSFER_FEED => return Some(Topic::TransferFeed),
            BROKER_STATUS => return Some(Topic::BrokerStatus),
            _ => {}
        }
        let account = |prefix: &str| topic.strip_prefix(prefix).and_then(AccountId::parse);
        let device = |prefix: &str| topic.strip_prefix(prefix).and_then(account_and_device);
        // The prefixes are distinct, so at most one of these matches.
        None.or_else(|| account("bank/transfer/request/").map(Topic::TransferRequest))
            .or_else(|| account("bank/transfer/result/").map(Topic::TransferResult))
            .or_else(|| account("bank/balanceUpdate/").map(Topic::BalanceUpdate))
            .or_else(|| account("bank/history/request/").map(Topic::HistoryRequest))
            .or_else(|| account("bank/history/result/").map(Topic::HistoryResult))
            .or_else(|| device("bank/presence/").map(|(account, device)| Topic::Presence(account, device)))
            .or_else(|| device("token/issue/").map(|(account, device)| Topic::TokenIssue(account, device)))
            .or_else(|| device("token/revoke/").map(|(account, device)| Topic::TokenRevoke(account, device)))
            .or_else(|| device("token/result/").map(|(account, device)| Topic::TokenResult(account, device)))
    }
}

impl std::fmt::Display for Topic<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Topic::TransferRequest(account) => write!(f, "bank/transfer/request/{account}"),
            Topic::TransferResult(account) => write!(f, "bank/transfer/result/{account}"),
            Topic::BalanceUpdate(account) => write!(f, "bank/balanceUpdate/{account}"),
            Topic::HistoryRequest(account) => write!(f, "bank/history/request/{account}"),
            Topic::HistoryResult(account) => write!(f, "bank/history/result/{account}"),
            Topic::Presence(account, device) => write!(f, "bank/presence/{account}/{device}"),
            Topic::TokenIssue(account, device) => write!(f, "token/issue/{account}/{device}"),
            Topic::TokenRevoke(account, device) => write!(f, "token/revoke/{account}/{device}"),
            Topic::TokenResult(account, device) => write!(f, "token/result/{account}/{device}"),
            Topic::LedgerStatus => f.write_str(LEDGER_STATUS),
            Topic::TransferFeed => f.write_str(TRANSFER_FEED),
            Topic::BrokerStatus => f.write_str(BROKER_STATUS),
        }
    }
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

/// `{account}/{device}`, both valid.
fn account_and_device(levels: &str) -> Option<(AccountId, &str)> {
    let (account, device) = levels.split_once('/')?;
    AccountId::parse(account).filter(|_| is_device_id(device)).map(|account| (account, device))
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
    fn every_topic_formats_and_parses_back() {
        let account = AccountId::parse("00001").unwrap();
        let topics = [
            (Topic::TransferRequest(account), "bank/transfer/request/00001"),
            (Topic::TransferResult(account), "bank/transfer/result/00001"),
            (Topic::BalanceUpdate(account), "bank/balanceUpdate/00001"),
            (Topic::HistoryRequest(account), "bank/history/request/00001"),
            (Topic::HistoryResult(account), "bank/history/result/00001"),
            (Topic::Presence(account, "a1b2"), "bank/presence/00001/a1b2"),
            (Topic::TokenIssue(account, "a1b2"), "token/issue/00001/a1b2"),
            (Topic::TokenRevoke(account, "a1b2"), "token/revoke/00001/a1b2"),
            (Topic::TokenResult(account, "a1b2"), "token/result/00001/a1b2"),
            (Topic::LedgerStatus, "bank/ledger/status"),
            (Topic::TransferFeed, "bank/ledger/transfers"),
            (Topic::BrokerStatus, "bank/broker/status"),
        ];
        for (topic, text) in topics {
            assert_eq!(topic.to_string(), text);
            assert_eq!(Topic::parse(text), Some(topic), "{text}");
        }
    }

    #[test]
    fn anything_else_is_no_topic() {
        let too_long = format!("token/issue/00001/{}", "a".repeat(65));
        for topic in [
            "bank/transfer/request/1",
            "bank/transfer/request/00001/x",
            "bank/balanceUpdate/1",
            "bank/balanceUpdate/x",
            "bank/presence/00001",
            "bank/presence/00001/",
            "bank/presence/abc/x",
            "bank/presence/00001/a/b",
            "token/issue/00001",
            "token/issue/00001/",
            "token/issue/00001/a/b",
            &too_long,
            "bank/ledger/status/x",
            "bank/broker/status/x",
            "bank/elsewhere",
            "",
        ] {
            assert_eq!(Topic::parse(topic), None, "{topic}");
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
