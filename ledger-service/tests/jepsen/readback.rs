//! The end state, read through the protocol as a device would: each account user reads
//! its retained balance and pages through its whole history.

use std::time::Duration;

use bank_protocol::{AccountId, BalanceUpdate, HistoryEntry, HistoryResult, Topic};
use serde_json::json;

use crate::checker::{AccountFinal, Final};
use crate::harness::{Client, Ledger};

/// A page that does not come is asked for again, this many times in all.
const PAGE_ATTEMPTS_MAX: u32 = 5;
const PAGE_WAIT: Duration = Duration::from_secs(5);
/// Far above any run's history: 50 rows a page.
const PAGES_MAX: usize = 100_000;

pub async fn read(ledger: &Ledger, accounts: &[AccountId]) -> Result<Final, String> {
    let mut last = Final::new();
    for account in accounts {
        last.insert(*account, read_account(ledger, *account).await?);
    }
    Ok(last)
}

async fn read_account(ledger: &Ledger, account: AccountId) -> Result<AccountFinal, String> {
    let client = Client::connect(ledger.options(account.as_str(), "demo"))
        .await
        .map_err(|error| format!("{account} cannot log in to read back: {error}"))?;
    client.subscribe(&Topic::HistoryResult(account).to_string()).await;
    client.subscribe(&Topic::BalanceUpdate(account).to_string()).await;
    let balance = client
        .wait_for(&Topic::BalanceUpdate(account).to_string(), |_| true)
        .await
        .ok_or_else(|| format!("no retained balance for {account}"))?;
    let balance: BalanceUpdate =
        serde_json::from_value(balance).map_err(|error| format!("{account}'s balance is unreadable: {error}"))?;
    let history = read_history(&client, account).await?;
    Ok(AccountFinal { balance, history })
}

/// Every row, newest first, following `next_before_version` until it is `null`.
async fn read_history(client: &Client, account: AccountId) -> Result<Vec<HistoryEntry>, String> {
    let mut rows = Vec::new();
    let mut before_version = None;
    for _ in 0..PAGES_MAX {
        let (entries, next) = read_page(client, account, before_version).await?;
        rows.extend(entries);
        match next {
            Some(next) => before_version = Some(next),
            None => return Ok(rows),
        }
    }
    Err(format!("{account}'s history has more than {PAGES_MAX} pages"))
}

type Page = (Vec<HistoryEntry>, Option<u64>);

async fn read_page(client: &Client, account: AccountId, before_version: Option<u64>) -> Result<Page, String> {
    let request = json!({"limit": 50, "before_version": before_version}).to_string();
    let topic = Topic::HistoryResult(account).to_string();
    for _ in 0..PAGE_ATTEMPTS_MAX {
        client.publish(&Topic::HistoryRequest(account).to_string(), request.clone()).await;
        let page = tokio::time::timeout(
            PAGE_WAIT,
            client.wait_for(&topic, |page| {
                page["before_version"] == json!(before_version) || page.get("reason").is_some()
            }),
        );
        let Ok(Some(page)) = page.await else { continue };
        return match serde_json::from_value::<HistoryResult>(page) {
            Ok(HistoryResult::Page { entries, next_before_version, .. }) => Ok((entries, next_before_version)),
            Ok(HistoryResult::Rejected { message, .. }) => Err(format!("{account}'s history was refused: {message}")),
            Err(error) => Err(format!("{account}'s history page is unreadable: {error}")),
        };
    }
    Err(format!("no history page of {account} before {before_version:?} after {PAGE_ATTEMPTS_MAX} requests"))
}
