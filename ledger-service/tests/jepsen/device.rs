//! A device: one real MQTT client per account, as a phone would be (stable client id,
//! `clean_session=false`, QoS 1), sending random transfers and keeping each one until its
//! result arrives. It republishes what is unanswered with backoff, and all of it after
//! every reconnect. Now and then it replays a settled id with the same content, or sends
//! it with other content, to check that results are stored and content is compared.

use std::collections::BTreeMap;
use std::time::Duration;

use bank_protocol::{AccountId, Amount, Reason, Topic, TransferRequest, TransferResult};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Packet, Publish, QoS};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use uuid::Uuid;

use crate::checker::{Sent, Unanswered, Waiting};

/// First resend after this long, doubling per resend up to [`RESEND_MS_MAX`].
const RESEND_MS_MIN: u64 = 1_000;
const RESEND_MS_MAX: u64 = 8_000;
/// Transfers a device may have unanswered at once, like a phone's bounded outbox; this also
/// bounds every resend burst.
const ORIGINALS_PENDING_MAX: usize = 4;
/// Replays and conflicting copies unanswered at once.
const PROBES_PENDING_MAX: usize = 2;
/// Think time between two actions of a device.
const THINK_MS_MIN: u64 = 10;
const THINK_MS_MAX: u64 = 150;
/// How often a device looks at its clock: the resolution of think times and resends.
const TICK_MS: u64 = 20;
/// Reconnect delays of the MQTT link. Shorter than a phone's (0.5 s to 30 s) and shorter
/// than the nemesis' cycles, so devices are connected for most of each up time.
const RECONNECT_MS_MIN: u64 = 50;
const RECONNECT_MS_MAX: u64 = 500;
const CLIENT_REQUESTS_MAX: usize = 64;
const LINK_EVENTS_MAX: usize = 256;
/// History pages are up to 64 KiB, results far smaller; rumqttc's default is 10 KiB.
const PACKET_BYTES_MAX: usize = 256 * 1024;
/// Garbled payloads are cut to this many bytes in the report.
const GARBLED_BYTES_MAX: usize = 200;

/// What the test tells its devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Send new transfers and probes.
    Run,
    /// The faults have stopped: send nothing new, and wait for every answer until this instant.
    Drain { until: Instant },
}

pub struct Spec {
    pub account: AccountId,
    pub accounts: Vec<AccountId>,
    pub port: u16,
    pub seed: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub requests: u64,
    pub replays: u64,
    pub conflicts: u64,
    /// Sends of a pending request because its resend delay passed.
    pub resends: u64,
    /// Sends of a pending request because the link reconnected.
    pub republished: u64,
    pub connects: u64,
    pub publish_refused: u64,
    /// The longest time from a request's first send to its result.
    pub wait_ms_max: u64,
}

/// What one device saw, for the checker.
#[derive(Debug, Default)]
pub struct Log {
    pub sent: Vec<Sent>,
    pub results: Vec<TransferResult>,
    pub conflicted: Vec<Uuid>,
    pub unanswered: Vec<Unanswered>,
    pub garbled: Vec<String>,
    pub stats: Stats,
}

/// A request waiting for its answer.
struct Pending {
    waiting: Waiting,
    payload: Vec<u8>,
    first_sent: Instant,
    next_send: Instant,
    resend_ms: u64,
}

struct Device {
    spec: Spec,
    client: AsyncClient,
    rng: fastrand::Rng,
    connected: bool,
    next_action: Instant,
    pending: BTreeMap<Uuid, Pending>,
    /// The first result of each id this device sent, and its content.
    settled: BTreeMap<Uuid, (Sent, TransferResult)>,
    /// Settled ids, in order, so probes can pick one at random.
    settled_ids: Vec<Uuid>,
    log: Log,
}

/// Runs a device until it is drained or its drain deadline passes, and returns its log.
pub async fn run(spec: Spec, mut phase: watch::Receiver<Phase>) -> Log {
    let (client, mut eventloop) = AsyncClient::new(options(spec.account, spec.port), CLIENT_REQUESTS_MAX);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (link_tx, mut link) = mpsc::channel(LINK_EVENTS_MAX);
    let pump = tokio::spawn(pump(eventloop, link_tx));
    let rng = fastrand::Rng::with_seed(spec.seed);
    let now = Instant::now();
    let mut device = Device {
        spec,
        client,
        rng,
        connected: false,
        next_action: now,
        pending: BTreeMap::new(),
        settled: BTreeMap::new(),
        settled_ids: Vec::new(),
        log: Log::default(),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
    loop {
        tokio::select! {
            event = link.recv() => match event {
                Some(event) => device.on_link(event),
                None => break,
            },
            _ = tick.tick() => {
                let current = *phase.borrow_and_update();
                if device.on_tick(current) {
                    break;
                }
            }
        }
    }
    pump.abort();
    device.finish()
}

/// A stable client id with a persistent session, as bank-core devices connect.
fn options(account: AccountId, port: u16) -> MqttOptions {
    let mut options = MqttOptions::new(format!("jepsen-{account}"), "127.0.0.1", port);
    options
        .set_credentials(account.as_str(), "demo")
        .set_clean_session(false)
        .set_keep_alive(Duration::from_secs(5))
        .set_max_packet_size(PACKET_BYTES_MAX, PACKET_BYTES_MAX);
    options
}

/// What the link reports to its device.
enum Link {
    Connected,
    Message(Publish),
    Lost,
}

/// Polls the event loop and reconnects with backoff; ends when the device is gone.
async fn pump(mut eventloop: EventLoop, link: mpsc::Sender<Link>) {
    let mut delay_ms = RECONNECT_MS_MIN;
    loop {
        let event = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                delay_ms = RECONNECT_MS_MIN;
                Link::Connected
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => Link::Message(publish),
            Ok(_) => continue,
            Err(_) => {
                let lost = link.send(Link::Lost).await;
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                delay_ms = (delay_ms * 2).min(RECONNECT_MS_MAX);
                if lost.is_err() {
                    return;
                }
                continue;
            }
        };
        if link.send(event).await.is_err() {
            return;
        }
    }
}

impl Device {
    fn on_link(&mut self, event: Link) {
        match event {
            Link::Connected => self.on_connected(),
            Link::Message(publish) => self.on_message(&publish),
            Link::Lost => self.connected = false,
        }
    }

    /// Whether or not the broker kept the session, the result topic is subscribed again
    /// and everything unanswered goes out again, each keeping its backoff.
    fn on_connected(&mut self) {
        self.connected = true;
        self.log.stats.connects += 1;
        let topic = Topic::TransferResult(self.spec.account).to_string();
        if self.client.try_subscribe(topic, QoS::AtLeastOnce).is_err() {
            self.log.stats.publish_refused += 1;
        }
        let now = Instant::now();
        let ids: Vec<Uuid> = self.pending.keys().copied().collect();
        self.log.stats.republished += ids.len() as u64;
        for id in ids {
            self.send(id, now);
        }
    }

    fn on_message(&mut self, publish: &Publish) {
        if publish.topic != Topic::TransferResult(self.spec.account).to_string() {
            return;
        }
        let result = match serde_json::from_slice::<TransferResult>(&publish.payload) {
            Ok(result) => result,
            Err(error) => return self.garbled(&publish.payload, &error.to_string()),
        };
        let Some(id) = result.id() else { return self.garbled(&publish.payload, "no id") };
        self.log.results.push(result.clone());
        let Some(pending) = self.pending.get(&id) else { return };
        let answered = match pending.waiting {
            Waiting::Result => true,
            Waiting::Replay => self.settled.get(&id).is_some_and(|(_, first)| *first == result),
            Waiting::IdConflict => matches!(result, TransferResult::Rejected { reason: Reason::IdConflict, .. }),
        };
        if answered {
            self.answered(id, result);
        }
    }

    fn answered(&mut self, id: Uuid, result: TransferResult) {
        let pending = self.pending.remove(&id).expect("answered requests are pending");
        if pending.waiting != Waiting::Result {
            return;
        }
        let waited_ms = pending.first_sent.elapsed().as_millis() as u64;
        self.log.stats.wait_ms_max = self.log.stats.wait_ms_max.max(waited_ms);
        let sent = self.log.sent.iter().find(|sent| sent.id == id).expect("answered ids were sent").clone();
        self.settled.insert(id, (sent, result));
        self.settled_ids.push(id);
    }

    fn garbled(&mut self, payload: &[u8], why: &str) {
        let text = String::from_utf8_lossy(&payload[..payload.len().min(GARBLED_BYTES_MAX)]).into_owned();
        self.log.garbled.push(format!("{}: {why}: {text}", self.spec.account));
    }

    /// Acts if it is time, resends what is due, and says whether the device is done.
    fn on_tick(&mut self, phase: Phase) -> bool {
        let now = Instant::now();
        match phase {
            Phase::Run if now >= self.next_action => {
                self.act(now);
                self.next_action = now + Duration::from_millis(self.rng.u64(THINK_MS_MIN..=THINK_MS_MAX));
            }
            Phase::Run => {}
            Phase::Drain { until } if self.pending.is_empty() || now >= until => return true,
            Phase::Drain { .. } => {}
        }
        self.resend_due(now);
        false
    }

    /// One random action: mostly a new transfer, sometimes a replay or a conflicting copy
    /// of a settled id.
    fn act(&mut self, now: Instant) {
        let probes = self.pending.values().filter(|pending| pending.waiting != Waiting::Result).count();
        let originals = self.pending.len() - probes;
        let roll = self.rng.u32(0..100);
        if roll < 10 && probes < PROBES_PENDING_MAX {
            self.probe(now, roll < 6);
        } else if originals < ORIGINALS_PENDING_MAX {
            self.transfer(now);
        }
    }

    fn transfer(&mut self, now: Instant) {
        let others: Vec<AccountId> =
            self.spec.accounts.iter().copied().filter(|account| *account != self.spec.account).collect();
        let to = others[self.rng.usize(..others.len())];
        // Mostly small amounts; some larger than most balances, so rejections happen.
        let cents = match self.rng.u32(0..100) {
            0..85 => self.rng.i64(1..=5_000),
            _ => self.rng.i64(50_000..=300_000),
        };
        let memo = self.rng.bool().then(|| format!("j{}", self.log.stats.requests));
        let sent = Sent { id: Uuid::now_v7(), payer: self.spec.account, to, amount: Amount::from_cents(cents), memo };
        let request = TransferRequest { id: sent.id, to, amount: sent.amount, memo: sent.memo.clone() };
        self.log.stats.requests += 1;
        self.log.sent.push(sent);
        self.queue(request.id, Waiting::Result, request.to_json(), now);
    }

    /// Sends a settled id again: with the same content (in either amount format, which the
    /// ledger must treat as equal) or with other content, which must get `id_conflict`.
    fn probe(&mut self, now: Instant, replay: bool) {
        let candidates = self.settled_ids.len();
        if candidates == 0 {
            return;
        }
        let id = self.settled_ids[self.rng.usize(..candidates)];
        if self.pending.contains_key(&id) {
            return;
        }
        let sent = self.settled[&id].0.clone();
        if replay {
            self.log.stats.replays += 1;
            let payload = if self.rng.bool() { short_amount_payload(&sent) } else { request_of(&sent).to_json() };
            self.queue(id, Waiting::Replay, payload, now);
        } else {
            self.log.stats.conflicts += 1;
            self.log.conflicted.push(id);
            let payload = self.conflicting(&sent).to_json();
            self.queue(id, Waiting::IdConflict, payload, now);
        }
    }

    /// The same id with one field changed: the amount, the payee or the memo.
    fn conflicting(&mut self, sent: &Sent) -> TransferRequest {
        let mut request = request_of(sent);
        match self.rng.u32(0..3) {
            0 => request.amount = Amount::from_cents(sent.amount.cents() + 1),
            1 => {
                let others = self.spec.accounts.iter().copied();
                let payees: Vec<AccountId> =
                    others.filter(|account| *account != sent.payer && *account != sent.to).collect();
                request.to = payees[self.rng.usize(..payees.len())];
            }
            _ => request.memo = Some(format!("{} (changed)", sent.memo.as_deref().unwrap_or(""))),
        }
        request
    }

    fn queue(&mut self, id: Uuid, waiting: Waiting, payload: Vec<u8>, now: Instant) {
        let pending = Pending { waiting, payload, first_sent: now, next_send: now, resend_ms: RESEND_MS_MIN };
        self.pending.insert(id, pending);
        if self.connected {
            self.send(id, now);
        }
    }

    /// Publishes what is due; nothing goes out while the link is down, since every
    /// reconnect sends all of it anyway.
    fn resend_due(&mut self, now: Instant) {
        if !self.connected {
            return;
        }
        let due: Vec<Uuid> =
            self.pending.iter().filter(|(_, pending)| pending.next_send <= now).map(|(id, _)| *id).collect();
        self.log.stats.resends += due.len() as u64;
        for id in due {
            self.send(id, now);
        }
    }

    /// Publishes a pending request and schedules its next resend, doubling the delay.
    fn send(&mut self, id: Uuid, now: Instant) {
        let topic = Topic::TransferRequest(self.spec.account).to_string();
        let pending = self.pending.get_mut(&id).expect("only pending requests are sent");
        if self.client.try_publish(topic, QoS::AtLeastOnce, false, pending.payload.clone()).is_err() {
            self.log.stats.publish_refused += 1;
        }
        let (delay_ms, next_resend_ms) = backoff(pending.resend_ms, &mut self.rng);
        pending.next_send = now + Duration::from_millis(delay_ms);
        pending.resend_ms = next_resend_ms;
    }

    fn finish(mut self) -> Log {
        let now = Instant::now();
        for (id, pending) in std::mem::take(&mut self.pending) {
            let waited_ms = now.duration_since(pending.first_sent).as_millis() as u64;
            self.log.unanswered.push(Unanswered { id, waiting: pending.waiting, waited_ms });
        }
        self.log
    }
}

/// The wait before the next send of a request whose resend delay is `resend_ms`, and the
/// delay after that: 1 s, 2 s, 4 s, 8 s, 8 s, … each stretched by up to a quarter at
/// random, so devices that lost the ledger together do not resend in step.
fn backoff(resend_ms: u64, rng: &mut fastrand::Rng) -> (u64, u64) {
    let delay_ms = resend_ms + rng.u64(0..=resend_ms / 4);
    (delay_ms, (resend_ms * 2).min(RESEND_MS_MAX))
}

fn request_of(sent: &Sent) -> TransferRequest {
    TransferRequest { id: sent.id, to: sent.to, amount: sent.amount, memo: sent.memo.clone() }
}

/// The request with its amount in the shortest form (`"12"`, `"12.5"`), which the ledger
/// must treat as the same content as `"12.00"` and `"12.50"`.
fn short_amount_payload(sent: &Sent) -> Vec<u8> {
    let cents = sent.amount.cents();
    let amount = match cents % 100 {
        0 => format!("{}", cents / 100),
        tenths if tenths % 10 == 0 => format!("{}.{}", cents / 100, tenths / 10),
        _ => sent.amount.to_string(),
    };
    let mut request = json!({"id": sent.id, "to": sent.to, "amount": amount});
    if let Some(memo) = &sent.memo {
        request["memo"] = json!(memo);
    }
    request.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resends_back_off_from_1_to_8_seconds() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut resend_ms = RESEND_MS_MIN;
        let mut nominal_ms = Vec::new();
        for _ in 0..6 {
            let (delay_ms, next_ms) = backoff(resend_ms, &mut rng);
            assert!((resend_ms..=resend_ms * 5 / 4).contains(&delay_ms), "{delay_ms} ms after {resend_ms} ms");
            nominal_ms.push(resend_ms);
            resend_ms = next_ms;
        }
        assert_eq!(nominal_ms, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    }

    #[test]
    fn a_short_amount_is_the_same_amount() {
        let sent = |cents| Sent {
            id: Uuid::nil(),
            payer: AccountId::parse("00001").unwrap(),
            to: AccountId::parse("00002").unwrap(),
            amount: Amount::from_cents(cents),
            memo: None,
        };
        let amount = |cents| {
            let payload: serde_json::Value = serde_json::from_slice(&short_amount_payload(&sent(cents))).unwrap();
            payload["amount"].as_str().unwrap().to_string()
        };
        assert_eq!([amount(1_200), amount(1_250), amount(1_234), amount(5)], ["12", "12.5", "12.34", "0.05"]);
    }
}
