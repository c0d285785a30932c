//! Who each device of the fleet is: its account, its device id, its client id and the
//! loopback address it connects from, all derived from its index so a rerun with the same
//! `--fleet-id` resumes the same broker sessions instead of piling up new ones.
//!
//! Topics come from the protocol's one definition, `bank_protocol::topics`.

use std::net::{IpAddr, Ipv4Addr};

use bank_protocol::{AccountId, Topic};

/// Device ids are 12 hex digits: 4 of the fleet id, 8 of the index.
pub const DEVICE_INDEX_MAX: u64 = 0xFFFF_FFF0;
/// 127.0.0.2 ..= 127.0.0.255: 127.0.0.1 stays for everything else on the machine.
pub const SOURCE_IPS_MAX: u8 = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub device_id: String,
}

impl Identity {
    /// Devices take the accounts in turn: 00001, 00002, … 0000N, 00001, …
    pub fn of(fleet_id: u16, index: u64, accounts: u32) -> Identity {
        let account = 1 + index % u64::from(accounts.max(1));
        Identity { account: format!("{account:05}"), device_id: device_id(fleet_id, index) }
    }

    /// The form bank-core uses: `bank-{account}-{device}`.
    pub fn client_id(&self) -> String {
        format!("bank-{}-{}", self.account, self.device_id)
    }

    pub fn balance_topic(&self) -> String {
        balance_topic(&self.account)
    }

    pub fn token_issue_topic(&self) -> String {
        Topic::TokenIssue(account(&self.account), &self.device_id).to_string()
    }

    pub fn token_result_topic(&self) -> String {
        Topic::TokenResult(account(&self.account), &self.device_id).to_string()
    }
}

pub fn device_id(fleet_id: u16, index: u64) -> String {
    format!("{fleet_id:04x}{:08x}", index.min(0xFFFF_FFFF))
}

/// The fleet's accounts are always 5-digit numbers it formats itself.
fn account(text: &str) -> AccountId {
    AccountId::parse(text).expect("the fleet formats account numbers")
}

pub fn balance_topic(text: &str) -> String {
    Topic::BalanceUpdate(account(text)).to_string()
}

pub fn transfer_request_topic(text: &str) -> String {
    Topic::TransferRequest(account(text)).to_string()
}

pub fn transfer_result_topic(text: &str) -> String {
    Topic::TransferResult(account(text)).to_string()
}

/// The address device `index` connects from, out of the first `count` of 127.0.0.2..=255;
/// `None` with a count of 0 (let the kernel choose).
pub fn source_ip(index: u64, count: u8) -> Option<IpAddr> {
    let count = count.min(SOURCE_IPS_MAX);
    (count > 0).then(|| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (index % u64::from(count)) as u8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_take_accounts_in_turn_with_twelve_hex_digit_ids() {
        let first = Identity::of(0x10ad, 0, 5);
        assert_eq!(first.client_id(), "bank-00001-10ad00000000");
        let sixth = Identity::of(0x10ad, 5, 5);
        assert_eq!(sixth.account, "00001");
        let big = Identity::of(0xbeef, 18_999, 5);
        assert_eq!(big.client_id(), "bank-00005-beef00004a37");
        assert_eq!(big.device_id.len(), 12);
        assert!(big.device_id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(big.token_issue_topic(), "token/issue/00005/beef00004a37");
        assert_eq!(big.token_result_topic(), "token/result/00005/beef00004a37");
        assert_eq!(big.balance_topic(), "bank/balanceUpdate/00005");
    }

    #[test]
    fn source_addresses_cycle_through_127_0_0_2_to_255() {
        assert_eq!(source_ip(0, 254), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(source_ip(253, 254), Some("127.0.0.255".parse().unwrap()));
        assert_eq!(source_ip(254, 254), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(source_ip(5, 4), Some("127.0.0.3".parse().unwrap()));
        assert_eq!(source_ip(5, 0), None);
    }
}
