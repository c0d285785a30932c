//! The group-commit loop. Requests that arrive together are applied and committed in
//! one SQLite transaction; only then are results and balances published and the
//! requests acknowledged, so nothing anyone sees can be lost by a crash.

use std::time::Instant;

use std::sync::Arc;

use bank_protocol::{
    AccountId, BalanceUpdate, HistoryResult, Online, Timestamp, TokenResult, Topic, parse_history_request, topics,
};
use rumqttc::{AsyncClient, Publish, QoS};
use tokio::sync::{mpsc, watch};

use super::ServiceError;
use super::feed::Feed;
use super::store_thread::StoreThread;
use super::tokens::{self, TokenAction, TokenRequest};
use crate::ledger::engine::{self, Applied, Submission};
use crate::ledger::{SqliteStore, StoreError};
use crate::login::tokens::TokenStore;

pub struct Worker {
    pub client: AsyncClient,
    pub store: StoreThread,
    pub requests: mpsc::Receiver<Publish>,
    /// Bumped by the connection on every CONNACK.
    pub connections: watch::Receiver<u64>,
    pub batch_max: usize,
    pub feed: Feed,
    /// Set when the broker can check device tokens (the embedded one).
    pub tokens: Option<Arc<TokenStore>>,
}

/// What one batch asked for, sorted by kind.
#[derive(Default)]
struct Requests {
    submissions: Vec<Submission>,
    history: Vec<(AccountId, Vec<u8>)>,
    tokens: Vec<TokenRequest>,
}

/// Everything a batch produced, ready to publish.
struct Committed {
    applied: Applied,
    pages: Vec<(AccountId, HistoryResult)>,
    /// The account and device each answer goes to.
    token_results: Vec<(AccountId, String, TokenResult)>,
}

impl Worker {
    /// Runs until `shutdown` fires or the connection stops; the batch in hand is always finished.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), ServiceError> {
        let mut publishes = Vec::with_capacity(self.batch_max);
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => return Ok(()),
                changed = self.connections.changed() => match changed {
                    Ok(()) => self.announce().await?,
                    Err(_) => return Ok(()),
                },
                received = self.requests.recv_many(&mut publishes, self.batch_max) => {
                    if received == 0 {
                        return Ok(());
                    }
                    self.process(&publishes).await?;
                    publishes.clear();
                }
            }
        }
    }

    /// After every (re)connect: subscribe, say the ledger is online, and republish every
    /// balance, since a restarted broker may have lost its retained messages.
    async fn announce(&mut self) -> Result<(), ServiceError> {
        let mut filters = vec![topics::TRANSFER_REQUEST_ALL, topics::HISTORY_REQUEST_ALL];
        if self.tokens.is_some() {
            filters.extend([topics::TOKEN_ISSUE_ALL, topics::TOKEN_REVOKE_ALL]);
        }
        let filters = filters.into_iter().map(|filter| rumqttc::SubscribeFilter::new(filter.into(), QoS::AtLeastOnce));
        self.client.subscribe_many(filters).await?;
        self.client.publish(topics::LEDGER_STATUS, QoS::AtLeastOnce, true, Online::json(true)).await?;
        let accounts = self.store.run(|store| store.accounts()).await??;
        for account in &accounts {
            let snapshot =
                BalanceUpdate { account: account.id, balance: account.balance, version: account.version, entry: None };
            publish_update(&self.client, &snapshot).await?;
        }
        publish_feed(&self.client, &self.feed).await?;
        tracing::info!(accounts = accounts.len(), "ledger online; balances republished");
        Ok(())
    }

    async fn process(&mut self, publishes: &[Publish]) -> Result<(), ServiceError> {
        let started = Instant::now();
        let committed = self.commit(sort_requests(publishes)).await?;
        let commit_us = started.elapsed().as_micros();
        let feed = self.feed.record(&committed.applied.batch).then_some(&self.feed);
        publish(&self.client, &committed, feed).await?;
        for publish in publishes {
            self.client.ack(publish).await?;
        }
        tracing::debug!(requests = publishes.len(), commit_us, total_us = started.elapsed().as_micros(), "batch done");
        Ok(())
    }

    /// Applies and commits on the store's thread, then reads history pages from the committed state.
    async fn commit(&mut self, requests: Requests) -> Result<Committed, ServiceError> {
        let tokens = self.tokens.clone();
        let at = Timestamp::now();
        Ok(self.store.run(move |store| commit_batch(store, tokens.as_deref(), &requests, at)).await??)
    }
}

/// Balances first, then results: the broker handles one connection's messages in order, so
/// by the time a payer sees its result, every retained balance it changed is already current.
async fn publish(client: &AsyncClient, committed: &Committed, feed: Option<&Feed>) -> Result<(), ServiceError> {
    for update in &committed.applied.updates {
        publish_update(client, update).await?;
    }
    if let Some(feed) = feed {
        publish_feed(client, feed).await?;
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
    Ok(())
}

async fn publish_update(client: &AsyncClient, update: &BalanceUpdate) -> Result<(), ServiceError> {
    let payload = serde_json::to_vec(update).expect("balance updates always serialise");
    client.publish(Topic::BalanceUpdate(update.account).to_string(), QoS::AtLeastOnce, true, payload).await?;
    Ok(())
}

async fn publish_feed(client: &AsyncClient, feed: &Feed) -> Result<(), ServiceError> {
    client.publish(topics::TRANSFER_FEED, QoS::AtLeastOnce, true, feed.json()).await?;
    Ok(())
}

/// Sorts a batch by kind of request; anything else is acknowledged and dropped.
fn sort_requests(publishes: &[Publish]) -> Requests {
    let mut requests = Requests::default();
    for publish in publishes {
        if publish.retain {
            // Someone published a request with the retain flag; this is its replay on subscribe.
            tracing::warn!(topic = %publish.topic, "ignoring a retained request");
            continue;
        }
        let payload = publish.payload.to_vec();
        let token =
            |account, device: &str, action, payload| TokenRequest { account, device: device.into(), action, payload };
        match Topic::parse(&publish.topic) {
            Some(Topic::TransferRequest(payer)) => requests.submissions.push(Submission { payer, payload }),
            Some(Topic::HistoryRequest(account)) => requests.history.push((account, payload)),
            Some(Topic::TokenIssue(account, device)) => {
                requests.tokens.push(token(account, device, TokenAction::Issue, payload));
            }
            Some(Topic::TokenRevoke(account, device)) => {
                requests.tokens.push(token(account, device, TokenAction::Revoke, payload));
            }
            _ => tracing::warn!(topic = %publish.topic, "ignoring a message on a topic the ledger does not serve"),
        }
    }
    requests
}

fn commit_batch(
    store: &mut SqliteStore,
    tokens: Option<&TokenStore>,
    requests: &Requests,
    at: Timestamp,
) -> Result<Committed, StoreError> {
    let applied = engine::apply(store, &requests.submissions, at)?;
    if !applied.batch.is_empty() {
        store.commit(&applied.batch)?;
    }
    let pages = (requests.history.iter())
        .map(|(account, payload)| Ok((*account, history_page(store, *account, payload)?)))
        .collect::<Result<_, StoreError>>()?;
    let token_results = match tokens {
        Some(tokens) => (requests.tokens.iter())
            .map(|request| {
                Ok((request.account, request.device.clone(), tokens::answer(tokens, request, &at.to_string())?))
            })
            .collect::<Result<_, StoreError>>()?,
        None => Vec::new(),
    };
    Ok(Committed { applied, pages, token_results })
}

fn history_page(store: &SqliteStore, account: AccountId, payload: &[u8]) -> Result<HistoryResult, StoreError> {
    let request = match parse_history_request(payload) {
        Ok(request) => request,
        Err(bad) => {
            return Ok(HistoryResult::Rejected { account, reason: bad.reason, message: bad.message });
        }
    };
    let (entries, next_before_version) = store.history(account, request.before_version, request.limit)?;
    Ok(HistoryResult::Page { account, before_version: request.before_version, entries, next_before_version })
}
