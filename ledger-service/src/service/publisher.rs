//! Publishes what each committed batch produced, in commit order, while the worker
//! commits the next batch: commit N+1 overlaps the publishing of N, and nothing of a batch
//! goes out before its own commit, since the worker hands a batch over only once committed.
//! The operator's feed goes out at most every [`FEED_INTERVAL`], always its newest state.

use std::time::Duration;

use bank_protocol::{BalanceUpdate, Online, Topic, topics};
use rumqttc::{AsyncClient, QoS};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::ServiceError;
use super::feed::Feed;
use super::worker::Committed;
use crate::ledger::store::AccountState;

/// One batch being published and one committed behind it: enough to overlap the two.
pub const OUTGOING_QUEUED_MAX: usize = 2;
/// At most four feeds a second: a 12 KB retained message after every batch cost the broker
/// as much as a transfer, and an operator's screen gains nothing from more.
pub const FEED_INTERVAL: Duration = Duration::from_millis(250);

pub enum Outgoing {
    /// A committed (and acknowledged) batch.
    Batch(Committed),
    /// Every balance as it stands, after a (re)connect: a restarted broker may have lost
    /// them. "Online" follows them.
    Snapshots(Vec<AccountState>),
}

pub struct Publisher {
    pub client: AsyncClient,
    pub feed: Feed,
    pub outgoing: mpsc::Receiver<Outgoing>,
}

impl Publisher {
    /// Runs until the worker drops its sender, then publishes a feed still pending.
    pub async fn run(mut self) -> Result<(), ServiceError> {
        let mut feed_due: Option<Instant> = None;
        let mut feed_published = Instant::now() - FEED_INTERVAL;
        loop {
            let due = feed_due.unwrap_or_else(Instant::now);
            tokio::select! {
                biased;
                item = self.outgoing.recv() => match item {
                    Some(Outgoing::Batch(committed)) => {
                        if self.feed.record(&committed.applied.batch) && feed_due.is_none() {
                            feed_due = Some(feed_published + FEED_INTERVAL);
                        }
                        self.publish_batch(&committed).await?;
                    }
                    Some(Outgoing::Snapshots(accounts)) => {
                        self.announce(&accounts).await?;
                        (feed_due, feed_published) = (None, Instant::now());
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(due), if feed_due.is_some() => {
                    self.publish_feed().await?;
                    (feed_due, feed_published) = (None, Instant::now());
                }
            }
        }
        if feed_due.is_some() {
            self.publish_feed().await?;
        }
        Ok(())
    }

    /// Balances first, then results: the broker handles one connection's messages in order,
    /// so by the time a payer sees its result, every retained balance it changed is current.
    async fn publish_batch(&self, committed: &Committed) -> Result<(), ServiceError> {
        let started = std::time::Instant::now();
        let client = &self.client;
        for update in &committed.applied.updates {
            publish_update(client, update).await?;
        }
        for (payer, result) in &committed.applied.results {
            let payload = serde_json::to_vec(result).expect("results always serialise");
            client.publish(Topic::TransferResult(*payer).to_string(), QoS::AtLeastOnce, false, payload).await?;
        }
        for (account, page) in &committed.pages {
            let payload = serde_json::to_vec(page).expect("history pages always serialise");
            client.publish(Topic::HistoryResult(*account).to_string(), QoS::AtLeastOnce, false, payload).await?;
        }
        for (account, device, result) in &committed.token_results {
            let payload = serde_json::to_vec(result).expect("token results always serialise");
            client.publish(Topic::TokenResult(*account, device).to_string(), QoS::AtLeastOnce, false, payload).await?;
        }
        tracing::debug!(
            results = committed.applied.results.len(),
            publish_us = started.elapsed().as_micros(),
            "batch published"
        );
        Ok(())
    }

    /// Every balance and the feed, then "online": a device that sees the ledger online
    /// finds every retained balance current.
    async fn announce(&self, accounts: &[AccountState]) -> Result<(), ServiceError> {
        for account in accounts {
            let snapshot = BalanceUpdate::snapshot(account.id, account.balance, account.version);
            publish_update(&self.client, &snapshot).await?;
        }
        self.publish_feed().await?;
        self.client.publish(topics::LEDGER_STATUS, QoS::AtLeastOnce, true, Online::json(true)).await?;
        tracing::info!(accounts = accounts.len(), "ledger online; balances republished");
        Ok(())
    }

    async fn publish_feed(&self) -> Result<(), ServiceError> {
        self.client.publish(topics::TRANSFER_FEED, QoS::AtLeastOnce, true, self.feed.json()).await?;
        Ok(())
    }
}

async fn publish_update(client: &AsyncClient, update: &BalanceUpdate) -> Result<(), ServiceError> {
    let payload = serde_json::to_vec(update).expect("balance updates always serialise");
    client.publish(Topic::BalanceUpdate(update.account).to_string(), QoS::AtLeastOnce, true, payload).await?;
    Ok(())
}
