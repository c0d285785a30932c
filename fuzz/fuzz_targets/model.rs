//! The app's pure state machine (`bank_core::app::Model::update`) receiving arbitrary
//! (topic, payload) messages interleaved with every other event.
//!
//! Two modes, chosen by the input:
//! - chaos: any topic, any bytes, and forged but well-formed balance updates and history
//!   pages. Nothing may panic and the view must always render within its bounds.
//! - honest: the device talks to a simulated ledger that follows the protocol. Messages
//!   arrive in the order the ledger published them, may be lost or delivered twice, and the
//!   retained balance comes after a (re)subscribe. On top of the chaos checks: every
//!   transfer and history request the device publishes is valid for the ledger, and the
//!   history the device shows is contiguous and equal to the ledger's.
#![no_main]

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use arbitrary::Arbitrary;
use bank_core::app::{Effect, Event, Identity, Model, OUTBOX_MAX, RowStatus, money};
use bank_protocol::{
    AccountId, Amount, BalanceUpdate, Direction, Entry, HistoryEntry, HistoryResult, Online, Presence, Reason,
    Timestamp, Topic, TransferResult, parse_history_request, parse_transfer_request, topics,
};
use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

const ME: &str = "00001";
const STEPS_MAX: usize = 200;
/// The device keeps 1,000 entries and 20 rejections; the outbox holds 100.
const ROWS_MAX: usize = 1000 + 20 + OUTBOX_MAX;
const OPENING_CENTS: i64 = 100_000;

#[derive(Arbitrary, Debug)]
struct Input {
    chaos: bool,
    utc_offset_secs: i32,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    // What the person and the session do.
    Connect,
    Disconnect,
    Connected,
    ConnectionLost(u8),
    LoginRefused,
    LoadMoreHistory,
    Edit {
        payee: Payee,
        amount: Text,
        memo: String,
    },
    Submit {
        payee: Payee,
        amount: Text,
        memo: String,
    },
    OutboxNotSaved,
    // What the ledger does.
    Incoming {
        from: u8,
        cents: u16,
    },
    IncomingBurst(u8),
    /// Payments the ledger commits in one batch: one update carrying them all (format 2).
    IncomingBatch(u8),
    ApplyRequest(u8),
    AnswerHistory(u8),
    OtherDeviceHistory(Option<u16>),
    LedgerStatus(bool),
    LedgerReconnect,
    // How the broker delivers what the ledger published.
    Deliver(u8),
    Lose,
    Redeliver,
    // Messages from elsewhere.
    Presence {
        device: String,
        online: bool,
        name: Option<String>,
    },
    Noise {
        topic: NoiseTopic,
        payload: Vec<u8>,
    },
    // Chaos only: well-formed lies on the ledger's topics.
    ForgedBalance {
        version: u64,
        cents: u32,
        entry: Option<(u8, bool, u32)>,
    },
    ForgedPage {
        before: Option<u64>,
        versions: Vec<u64>,
        next: Option<u64>,
        other_account: bool,
    },
    ForgedResult {
        accepted: bool,
        index: u8,
        version: u64,
    },
}

#[derive(Arbitrary, Debug)]
enum Payee {
    Known(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Text {
    Cents(u32, u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum NoiseTopic {
    BalanceUpdate,
    TransferResult,
    HistoryResult,
    Presence(String),
    LedgerStatus,
    Any(String),
}

impl Payee {
    fn text(&self) -> String {
        match self {
            Payee::Known(index) => ["00002", "#00003", " 00004 ", "00009", "00001", "0002"][*index as usize % 6].into(),
            Payee::Text(text) => text.clone(),
        }
    }
}

impl Text {
    fn text(&self) -> String {
        match self {
            Text::Cents(cents, style) => {
                let amount = Amount::from_cents(i64::from(cents % 20_000_000));
                match style % 3 {
                    0 => amount.to_string(),
                    1 => money(amount),
                    _ => format!("{}", amount.cents() / 100),
                }
            }
            Text::Any(text) => text.clone(),
        }
    }
}

fn account(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

/// The ledger as the protocol describes it, for one account's point of view.
struct Ledger {
    me: AccountId,
    balance: i64,
    entries: Vec<HistoryEntry>,
    /// Every transfer id of this account's history, to its version.
    versions: HashMap<String, u64>,
    results: HashMap<Uuid, TransferResult>,
    /// The retained `bank/balanceUpdate/{me}`.
    retained: BalanceUpdate,
    /// Published, not yet delivered to the device.
    queue: VecDeque<(String, Vec<u8>)>,
    next_id: u128,
}

impl Ledger {
    fn new(me: AccountId) -> Ledger {
        let retained = BalanceUpdate::snapshot(me, Amount::from_cents(OPENING_CENTS), 0);
        let mut ledger = Ledger {
            me,
            balance: OPENING_CENTS,
            entries: vec![],
            versions: HashMap::new(),
            results: HashMap::new(),
            retained: retained.clone(),
            queue: VecDeque::new(),
            next_id: 1 << 100,
        };
        ledger.publish_balance(retained);
        ledger
    }

    fn at(&self) -> Timestamp {
        let at =
            DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap() + TimeDelta::seconds(self.entries.len() as i64);
        at.into()
    }

    fn publish_balance(&mut self, update: BalanceUpdate) {
        self.retained = update.clone();
        self.queue.push_back((Topic::BalanceUpdate(self.me).to_string(), serde_json::to_vec(&update).unwrap()));
    }

    fn post(&mut self, id: Uuid, direction: Direction, counterparty: AccountId, cents: i64, memo: Option<String>) {
        let row = self.record(id, direction, counterparty, cents, memo);
        self.publish_balance(BalanceUpdate::coalesced(self.me, vec![row]));
    }

    fn record(
        &mut self,
        id: Uuid,
        direction: Direction,
        counterparty: AccountId,
        cents: i64,
        memo: Option<String>,
    ) -> HistoryEntry {
        self.balance += if direction == Direction::In { cents } else { -cents };
        let version = self.entries.len() as u64 + 1;
        let entry = Entry { id, direction, counterparty, amount: Amount::from_cents(cents), memo, at: self.at() };
        let balance = Amount::from_cents(self.balance);
        let row = HistoryEntry { version, balance, entry };
        self.entries.push(row.clone());
        self.versions.insert(id.to_string(), version);
        row
    }

    /// Up to 300 payments, published as the ledger does: at most `ENTRIES_MAX` per update.
    fn incoming_batch(&mut self, count: u8) {
        let rows: Vec<HistoryEntry> = (0..u16::from(count) + 45)
            .map(|i| {
                self.next_id += 1;
                let from = account(["00002", "00003", "00004", "00005"][usize::from(i % 4)]);
                self.record(Uuid::from_u128(self.next_id), Direction::In, from, i64::from(i) + 1, None)
            })
            .collect();
        for updates in rows.chunks(BalanceUpdate::ENTRIES_MAX) {
            self.publish_balance(BalanceUpdate::coalesced(self.me, updates.to_vec()));
        }
    }

    fn incoming(&mut self, from: u8, cents: u16) {
        let from = account(["00002", "00003", "00004", "00005"][from as usize % 4]);
        self.next_id += 1;
        self.post(Uuid::from_u128(self.next_id), Direction::In, from, i64::from(cents) + 1, Some("in".into()));
    }

    /// Applies a request the device published, exactly once per id.
    fn apply(&mut self, payload: &[u8]) {
        let request = parse_transfer_request(self.me, payload).expect("the device only sends valid requests");
        if !self.results.contains_key(&request.id) {
            let cents = request.amount.cents();
            let reject = |reason, message: &str| TransferResult::Rejected {
                id: Some(request.id),
                reason,
                message: message.into(),
            };
            let result = if !["00002", "00003", "00004", "00005"].contains(&request.to.as_str()) {
                reject(Reason::UnknownAccount, "no such account")
            } else if self.balance < cents {
                reject(Reason::InsufficientFunds, "not enough")
            } else {
                self.post(request.id, Direction::Out, request.to, cents, request.memo.clone());
                TransferResult::Accepted {
                    id: request.id,
                    balance: Amount::from_cents(self.balance),
                    version: self.entries.len() as u64,
                }
            };
            self.results.insert(request.id, result);
        }
        let payload = serde_json::to_vec(&self.results[&request.id]).unwrap();
        self.queue.push_back((Topic::TransferResult(self.me).to_string(), payload));
    }

    /// Answers a history request the way the ledger's SQLite store does.
    fn answer(&mut self, payload: &[u8]) {
        let request = parse_history_request(payload).expect("the device only sends valid history requests");
        let before = request.before_version.unwrap_or(u64::MAX);
        let mut entries: Vec<HistoryEntry> = self
            .entries
            .iter()
            .rev()
            .filter(|entry| entry.version < before)
            .take(request.limit as usize + 1)
            .cloned()
            .collect();
        let next = (entries.len() > request.limit as usize).then(|| {
            entries.truncate(request.limit as usize);
            entries.last().map_or(0, |entry| entry.version)
        });
        let page = HistoryResult::Page {
            account: self.me,
            before_version: request.before_version,
            entries,
            next_before_version: next,
        };
        self.queue.push_back((Topic::HistoryResult(self.me).to_string(), serde_json::to_vec(&page).unwrap()));
    }
}

struct Harness {
    model: Model,
    ledger: Ledger,
    chaos: bool,
    transfer_requests: Vec<Vec<u8>>,
    history_requests: Vec<Vec<u8>>,
    /// The next outbox save fails, as on a full disk.
    fail_next_save: bool,
    clock: DateTime<Utc>,
    next_id: u128,
    /// Whether the model is online, as of its last event: messages never change it, and
    /// asking the view is slow.
    online: bool,
}

impl Harness {
    fn now(&mut self) -> DateTime<Utc> {
        self.clock += TimeDelta::milliseconds(1500);
        self.clock
    }

    fn update(&mut self, event: Event) {
        let message = matches!(event, Event::Message { .. });
        let effects = self.model.update(event);
        if !message {
            self.online = self.model.view().connection_text == "Online";
        }
        for effect in effects {
            match effect {
                Effect::Publish { topic, payload, retain } => {
                    if topic == Topic::TransferRequest(self.ledger.me).to_string() {
                        assert!(!retain);
                        parse_transfer_request(self.ledger.me, &payload)
                            .expect("the form only lets valid transfers out");
                        self.transfer_requests.push(payload);
                    } else if topic == Topic::HistoryRequest(self.ledger.me).to_string() {
                        assert!(!retain);
                        parse_history_request(&payload).expect("history requests are valid");
                        self.history_requests.push(payload);
                    } else if topic.starts_with("token/") {
                        assert!(!retain);
                        serde_json::from_slice::<serde_json::Value>(&payload).expect("token requests are JSON");
                    } else {
                        assert!(
                            matches!(Topic::parse(&topic), Some(Topic::Presence(owner, _)) if owner == self.ledger.me),
                            "{topic}"
                        );
                        serde_json::from_slice::<Presence>(&payload).expect("presence is valid");
                    }
                }
                Effect::SaveOutbox(transfers) => {
                    assert!(transfers.len() <= OUTBOX_MAX);
                    // Answered at once, as the session does.
                    let error = std::mem::take(&mut self.fail_next_save).then(|| "disk full".to_string());
                    self.update(Event::OutboxSaved { error });
                }
                Effect::Subscribe(_) | Effect::StartConnection | Effect::StopConnection => {}
                // Whatever token the fuzzed "ledger" sent; the model keeps it as it is.
                Effect::SaveToken(_) | Effect::ForgetToken | Effect::RememberLogin => {}
            }
        }
    }

    fn online(&self) -> bool {
        self.online
    }

    fn deliver(&mut self, topic: String, payload: Vec<u8>) {
        self.update(Event::Message { topic, payload });
    }

    fn step(&mut self, step: &Step) {
        let me = self.ledger.me;
        match step {
            Step::Connect => self.update(Event::Connect),
            Step::Disconnect => {
                let at = self.now();
                self.update(Event::Disconnect { at });
            }
            Step::Connected => {
                let was_online = self.online();
                let at = self.now();
                self.update(Event::Connected { at, request_id: Uuid::nil() });
                // Subscribing again delivers the retained messages after what was queued.
                if self.online() && !was_online {
                    let retained = serde_json::to_vec(&self.ledger.retained).unwrap();
                    self.ledger.queue.push_back((Topic::BalanceUpdate(me).to_string(), retained));
                }
            }
            Step::ConnectionLost(secs) => self.update(Event::ConnectionLost {
                reason: "connection reset".into(),
                retry_in: Duration::from_millis(u64::from(*secs) * 250),
            }),
            Step::LoginRefused => self.update(Event::LoginRefused { reason: "not authorised".into() }),
            Step::LoadMoreHistory => self.update(Event::LoadMoreHistory),
            Step::Edit { payee, amount, memo } => {
                self.update(Event::EditTransfer { payee: payee.text(), amount: amount.text(), memo: memo.clone() })
            }
            Step::Submit { payee, amount, memo } => {
                self.next_id += 1;
                let id = Uuid::from_u128(self.next_id);
                let at = self.now();
                self.update(Event::SubmitTransfer {
                    payee: payee.text(),
                    amount: amount.text(),
                    memo: memo.clone(),
                    id,
                    at,
                });
            }
            Step::OutboxNotSaved => self.fail_next_save = true,
            Step::Incoming { from, cents } => self.ledger.incoming(*from, *cents),
            Step::IncomingBatch(count) => self.ledger.incoming_batch(*count),
            Step::IncomingBurst(count) => {
                for i in 0..u16::from(*count % 64) * 4 {
                    self.ledger.incoming(i as u8, i);
                }
            }
            Step::ApplyRequest(index) => {
                if !self.transfer_requests.is_empty() {
                    let payload = self.transfer_requests.remove(*index as usize % self.transfer_requests.len());
                    self.ledger.apply(&payload);
                }
            }
            Step::AnswerHistory(index) => {
                if !self.history_requests.is_empty() {
                    let payload = self.history_requests.remove(*index as usize % self.history_requests.len());
                    self.ledger.answer(&payload);
                }
            }
            Step::OtherDeviceHistory(before) => {
                let request = match before {
                    Some(before) => format!(r#"{{"limit":50,"before_version":{before}}}"#),
                    None => r#"{"limit":50}"#.into(),
                };
                self.ledger.answer(request.as_bytes());
            }
            Step::LedgerStatus(online) => {
                self.ledger.queue.push_back((topics::LEDGER_STATUS.into(), Online::json(*online)));
            }
            Step::LedgerReconnect => {
                // The ledger republishes every balance as a snapshot when it connects.
                let snapshot = BalanceUpdate { entry: None, ..self.ledger.retained.clone() };
                self.ledger.publish_balance(snapshot);
            }
            Step::Deliver(count) => {
                if !self.chaos && !self.online() {
                    return;
                }
                for _ in 0..=*count {
                    let Some((topic, payload)) = self.ledger.queue.pop_front() else { break };
                    self.deliver(topic, payload);
                }
            }
            Step::Lose => {
                self.ledger.queue.pop_front();
            }
            Step::Redeliver => {
                if let Some((topic, payload)) = self.ledger.queue.front().cloned() {
                    if self.chaos || self.online() {
                        self.deliver(topic, payload);
                    }
                }
            }
            Step::Presence { device, online, name } => {
                let at = Some(self.now().into());
                let payload = Presence { online: *online, name: name.clone(), at }.json();
                self.deliver(Topic::Presence(me, device).to_string(), payload);
            }
            Step::Noise { topic, payload } => {
                let topic = match topic {
                    NoiseTopic::BalanceUpdate if self.chaos => Topic::BalanceUpdate(me).to_string(),
                    NoiseTopic::HistoryResult if self.chaos => Topic::HistoryResult(me).to_string(),
                    NoiseTopic::BalanceUpdate | NoiseTopic::HistoryResult => return,
                    NoiseTopic::TransferResult => Topic::TransferResult(me).to_string(),
                    NoiseTopic::Presence(device) => Topic::Presence(me, device).to_string(),
                    NoiseTopic::LedgerStatus => topics::LEDGER_STATUS.into(),
                    NoiseTopic::Any(topic) => {
                        let ledgers = [Topic::BalanceUpdate(me).to_string(), Topic::HistoryResult(me).to_string()];
                        if !self.chaos && ledgers.contains(topic) {
                            return;
                        }
                        topic.clone()
                    }
                };
                self.deliver(topic, payload.clone());
            }
            Step::ForgedBalance { version, cents, entry } if self.chaos => {
                let entry = entry.map(|(id, incoming, cents)| Entry {
                    id: Uuid::from_u128(u128::from(id)),
                    direction: if incoming { Direction::In } else { Direction::Out },
                    counterparty: account("00002"),
                    amount: Amount::from_cents(i64::from(cents)),
                    memo: None,
                    at: Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap(),
                });
                // Format 1, as older ledgers send: devices still read it.
                let update = BalanceUpdate {
                    format: 1,
                    account: me,
                    balance: Amount::from_cents(i64::from(*cents)),
                    version: *version,
                    entry,
                    entries: vec![],
                };
                self.deliver(Topic::BalanceUpdate(me).to_string(), serde_json::to_vec(&update).unwrap());
            }
            Step::ForgedPage { before, versions, next, other_account } if self.chaos => {
                let entries = versions
                    .iter()
                    .map(|version| HistoryEntry {
                        version: *version,
                        balance: Amount::from_cents(*version as i64 & 0xffff),
                        entry: Entry {
                            id: Uuid::from_u128(u128::from(*version)),
                            direction: Direction::In,
                            counterparty: account("00003"),
                            amount: Amount::from_cents(1),
                            memo: Some("x".into()),
                            // A time far from the others; one that is no time is refused at decoding.
                            at: Timestamp::parse("1970-01-01T00:00:00.000Z").unwrap(),
                        },
                    })
                    .collect();
                let account = if *other_account { account("00002") } else { me };
                let page =
                    HistoryResult::Page { account, before_version: *before, entries, next_before_version: *next };
                self.deliver(Topic::HistoryResult(me).to_string(), serde_json::to_vec(&page).unwrap());
            }
            Step::ForgedResult { accepted, index, version } if self.chaos => {
                let id = Uuid::from_u128(self.next_id.saturating_sub(u128::from(*index % 4)));
                let result = if *accepted {
                    TransferResult::Accepted { id, balance: Amount::from_cents(1), version: *version }
                } else {
                    TransferResult::Rejected { id: Some(id), reason: Reason::InsufficientFunds, message: "no".into() }
                };
                self.deliver(Topic::TransferResult(me).to_string(), serde_json::to_vec(&result).unwrap());
            }
            Step::ForgedBalance { .. } | Step::ForgedPage { .. } | Step::ForgedResult { .. } => {}
        }
    }

    fn check(&self) {
        let view = self.model.view();
        assert_eq!(view.account, ME);
        assert!(view.history.len() <= ROWS_MAX, "{} rows", view.history.len());
        let pending = view.history.iter().filter(|row| row.status == RowStatus::Pending).count();
        assert!(pending <= OUTBOX_MAX);
        assert_eq!(view.balance_known, view.balance_text.starts_with('$'), "{}", view.balance_text);
        if self.chaos {
            return;
        }
        // Honest ledger: what the device shows as done is a contiguous run of the ledger's
        // own history, newest first.
        let mut previous: Option<u64> = None;
        for row in view.history.iter().filter(|row| row.status == RowStatus::Done) {
            let version =
                *self.ledger.versions.get(&row.id).unwrap_or_else(|| panic!("row {} is not the ledger's", row.id));
            let entry = &self.ledger.entries[version as usize - 1];
            assert_eq!(row.balance_after_text, Some(format!("Balance {}", money(entry.balance))));
            assert_eq!(row.incoming, entry.entry.direction == Direction::In);
            if let Some(previous) = previous {
                assert_eq!(version + 1, previous, "the device's history has a hole or is out of order");
            }
            previous = Some(version);
        }
        if view.balance_known {
            let known = std::iter::once(OPENING_CENTS)
                .chain(self.ledger.entries.iter().map(|entry| entry.balance.cents()))
                .any(|cents| money(Amount::from_cents(cents)) == view.balance_text);
            assert!(known, "balance {} was never the ledger's", view.balance_text);
        }
    }
}

fuzz_target!(|input: Input| {
    let me = account(ME);
    let identity = Identity {
        account: me,
        device_id: "a1b2c3d4e5f6".into(),
        device_name: "Pixel".into(),
        utc_offset: FixedOffset::east_opt(input.utc_offset_secs % 86_400).unwrap(),
    };
    let mut harness = Harness {
        model: Model::new(identity, vec![]),
        ledger: Ledger::new(me),
        chaos: input.chaos,
        transfer_requests: vec![],
        history_requests: vec![],
        fail_next_save: false,
        clock: DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap(),
        next_id: 0,
        online: false,
    };
    for step in input.steps.iter().take(STEPS_MAX) {
        harness.step(step);
        harness.check();
    }
});
