//! The group-commit loop. Requests that arrive together are applied and committed in
//! one SQLite transaction; only then are they acknowledged and handed to the publisher
//! for their results and balances, so nothing anyone sees can be lost by a crash. The
//! worker commits the next batch while the publisher works.

use std::sync::Arc;
use std::time::Instant;

use bank_protocol::{AccountId, HistoryResult, Timestamp, TokenResult, Topic, parse_history_request, topics};
use rumqttc::{AsyncClient, Publish, QoS};
use tokio::sync::{mpsc, watch};

use super::ServiceError;
use super::feed::Feed;
use super::publisher::{OUTGOING_QUEUED_MAX, Outgoing, Publisher};
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
pub struct Committed {
    pub applied: Applied,
    pub pages: Vec<(AccountId, HistoryResult)>,
    /// The account and device each answer goes to.
    pub token_results: Vec<(AccountId, String, TokenResult)>,
}

impl Worker {
    /// Runs until `shutdown` fires or the connection stops; the batch in hand is always
    /// finished, and the publisher publishes every committed batch before this returns.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), ServiceError> {
        let (outgoing_tx, outgoing) = mpsc::channel(OUTGOING_QUEUED_MAX);
        let publisher = Publisher { client: self.client.clone(), feed: self.feed, outgoing };
        let publisher = tokio::spawn(publisher.run());
        let looped = Loop {
            client: self.client,
            store: self.store,
            requests: self.requests,
            connections: self.connections,
            batch_max: self.batch_max,
            tokens: self.tokens,
            outgoing: outgoing_tx,
        }
        .run(shutdown)
        .await;
        // The sender is dropped: the publisher finishes what it holds and stops.
        let published = publisher.await.map_err(|error| ServiceError::TaskFailed(error.to_string()))?;
        published.and(looped)
    }
}

/// The worker's state while it runs; the feed has moved to the publisher.
struct Loop {
    client: AsyncClient,
    store: StoreThread,
    requests: mpsc::Receiver<Publish>,
    connections: watch::Receiver<u64>,
    batch_max: usize,
    tokens: Option<Arc<TokenStore>>,
    outgoing: mpsc::Sender<Outgoing>,
}

impl Loop {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), ServiceError> {
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
                    let batch = std::mem::replace(&mut publishes, Vec::with_capacity(self.batch_max));
                    self.process(batch).await?;
                }
            }
        }
    }

    /// After every (re)connect: subscribe, and have the publisher republish every balance
    /// (a restarted broker may have lost its retained messages) and say the ledger is online.
    async fn announce(&mut self) -> Result<(), ServiceError> {
        let mut filters = vec![topics::TRANSFER_REQUEST_ALL, topics::HISTORY_REQUEST_ALL];
        if self.tokens.is_some() {
            filters.extend([topics::TOKEN_ISSUE_ALL, topics::TOKEN_REVOKE_ALL]);
        }
        let filters = filters.into_iter().map(|filter| rumqttc::SubscribeFilter::new(filter.into(), QoS::AtLeastOnce));
        self.client.subscribe_many(filters).await?;
        // Read after every earlier commit, and queued behind their publishes, so no older
        // balance can overwrite these.
        let accounts = self.store.run(|store| store.accounts()).await??;
        self.hand_over(Outgoing::Snapshots(accounts)).await
    }

    async fn process(&mut self, publishes: Vec<Publish>) -> Result<(), ServiceError> {
        let started = Instant::now();
        let committed = self.commit(sort_requests(&publishes)).await?;
        let (requests, commit_us) = (publishes.len(), started.elapsed().as_micros());
        // Committed, so durable: the broker may send the next requests while these are answered.
        for publish in &publishes {
            self.client.ack(publish).await?;
        }
        self.hand_over(Outgoing::Batch(committed)).await?;
        tracing::debug!(requests, commit_us, total_us = started.elapsed().as_micros(), "batch done");
        Ok(())
    }

    async fn hand_over(&self, outgoing: Outgoing) -> Result<(), ServiceError> {
        // A closed channel means the publisher stopped; `Worker::run` returns its error.
        self.outgoing.send(outgoing).await.map_err(|_| ServiceError::TaskFailed("the publisher stopped".into()))
    }

    /// Applies and commits on the store's thread, then reads history pages from the committed state.
    async fn commit(&mut self, requests: Requests) -> Result<Committed, ServiceError> {
        let tokens = self.tokens.clone();
        let at = Timestamp::now();
        Ok(self.store.run(move |store| commit_batch(store, tokens.as_deref(), &requests, at)).await??)
    }
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
