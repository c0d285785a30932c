//! The MQTT client utility's link: one rumqttc connection, built by `bank_mqtt` like
//! every other, that carries out the pure [`Utility`]'s effects and feeds back what the
//! broker says: CONNACK, SUBACK with the granted QoS or a failure, UNSUBACK, PUBACK and
//! PUBCOMP, incoming messages, and why the connection dropped. MQTT 3.1.1 is here, MQTT 5
//! in `v5`. Views are built at most once per [`VIEW_INTERVAL_MS_MIN`], so a busy broker
//! cannot flood the window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event as MqttEvent, EventLoop, LastWill, Outgoing, Packet, QoS,
    SubscribeReasonCode,
};
use tokio::sync::{oneshot, watch};

use super::{link, runtime};

mod v5;
use crate::utility::{Action, ConnectOptions, Effect, Event, Export, ExportFormat, MqttVersion, Utility, UtilityView};
use bank_mqtt::Backoff;

/// Room for the utility's largest message and the broker's headers.
const PACKET_BYTES_MAX: usize = 256 * 1024;
/// Requests the window may queue before the link sends them; more are refused in words.
const REQUESTS_QUEUED_MAX: usize = 256;
/// Requests sent and not yet acknowledged that the link remembers, per kind.
const UNACKED_MAX: usize = 1024;
const EFFECTS_PER_EVENT_MAX: usize = 256;
const VIEW_INTERVAL_MS_MIN: u64 = 100;
const RETRY_DELAY_MIN: Duration = Duration::from_millis(500);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(30);

/// The utility with its connection, if any. Dropping it disconnects.
pub struct UtilitySession {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Counts changes; the view is built from the model when someone looks.
    changes: watch::Sender<u64>,
}

struct State {
    model: Utility,
    link: Option<Running>,
    /// Counts links, so that events from one already stopped are ignored.
    generation: u64,
}

struct Running {
    client: Client,
    stop: oneshot::Sender<()>,
    unacked: Arc<Mutex<Unacked>>,
}

/// The connection's client, in the MQTT version the person chose.
enum Client {
    V311(AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl Client {
    /// Whether the request was queued.
    fn subscribe(&self, filter: String, qos: u8) -> bool {
        match self {
            Client::V311(client) => client.try_subscribe(filter, qos_of(qos)).is_ok(),
            Client::V5(client) => client.try_subscribe(filter, v5::qos_of(qos)).is_ok(),
        }
    }

    fn unsubscribe(&self, filter: String) -> bool {
        match self {
            Client::V311(client) => client.try_unsubscribe(filter).is_ok(),
            Client::V5(client) => client.try_unsubscribe(filter).is_ok(),
        }
    }

    fn publish(&self, topic: String, qos: u8, retained: bool, payload: Vec<u8>) -> bool {
        match self {
            Client::V311(client) => client.try_publish(topic, qos_of(qos), retained, payload).is_ok(),
            Client::V5(client) => client.try_publish(topic, v5::qos_of(qos), retained, payload).is_ok(),
        }
    }

    /// A DISCONNECT that cannot be queued does not matter: the link stops anyway.
    fn disconnect(&self) {
        match self {
            Client::V311(client) => drop(client.try_disconnect()),
            Client::V5(client) => drop(client.try_disconnect()),
        }
    }
}

/// A publication on its way: what the history shows once the broker has it.
#[derive(Clone)]
struct Outbound {
    topic: String,
    payload: Vec<u8>,
    qos: u8,
    retained: bool,
}

/// Which request each packet id stands for. rumqttc sends requests in the order they were
/// queued and reports each one's packet id as it goes out, so a queue per kind matches them.
#[derive(Default)]
struct Unacked {
    subscribes: VecDeque<String>,
    unsubscribes: VecDeque<String>,
    publishes: VecDeque<Outbound>,
    sent_subscribes: HashMap<u16, String>,
    sent_unsubscribes: HashMap<u16, String>,
    sent_publishes: HashMap<u16, Outbound>,
}

impl UtilitySession {
    /// A utility, not connected yet; `client_id` is the form's generated default.
    pub fn open(client_id: String) -> UtilitySession {
        let model = Utility::new(*chrono::Local::now().offset(), client_id);
        let state = Mutex::new(State { model, link: None, generation: 0 });
        UtilitySession { shared: Arc::new(Shared { state, changes: watch::Sender::new(0) }) }
    }

    /// As [`UtilitySession::open`]; `show` receives each new view from a task of its own.
    pub fn start(client_id: String, show: impl Fn(UtilityView) + Send + 'static) -> UtilitySession {
        let session = UtilitySession::open(client_id);
        runtime().spawn(deliver(Arc::downgrade(&session.shared), session.shared.changes.subscribe(), show));
        session
    }

    /// `utility-1a2b3c4d`: unique enough that two windows do not take each other's session.
    pub fn default_client_id() -> String {
        format!("utility-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
    }

    pub fn act(&self, action: Action) {
        self.shared.dispatch(None, Event::Action(action));
    }

    pub fn view(&self) -> UtilityView {
        self.shared.lock().model.view()
    }

    /// The history as a file's text; the shell saves it and reports with [`Self::exported`].
    pub fn export(&self, format: ExportFormat) -> Export {
        self.shared.lock().model.export(format, Utc::now())
    }

    /// Where the export was saved, or why it was not.
    pub fn exported(&self, result: Result<String, String>, rows: usize) {
        self.shared.dispatch(None, Event::Exported { result, rows });
    }
}

impl Drop for UtilitySession {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        stop(&mut state);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `event` through the model and carries out its effects; `generation` is the
    /// link's that reported it, and a stale link's events are dropped.
    fn dispatch(self: &Arc<Self>, generation: Option<u64>, event: Event) {
        let mut state = self.lock();
        if generation.is_some_and(|generation| generation != state.generation || state.link.is_none()) {
            return;
        }
        let mut effects: VecDeque<Effect> = state.model.update(event, Utc::now()).into();
        for _ in 0..EFFECTS_PER_EVENT_MAX {
            let Some(effect) = effects.pop_front() else { break };
            if let Some(answer) = self.execute(&mut state, effect) {
                effects.extend(state.model.update(answer, Utc::now()));
            }
        }
        drop(state);
        self.changes.send_modify(|count| *count = count.wrapping_add(1));
    }

    /// Carries out one effect; an event when it failed at once.
    fn execute(self: &Arc<Self>, state: &mut State, effect: Effect) -> Option<Event> {
        match effect {
            Effect::Connect(options) => {
                return self.connect(state, &options).err().map(|reason| Event::Refused { reason });
            }
            Effect::Disconnect => stop(state),
            Effect::Subscribe { filter, qos } => {
                let link = state.link.as_ref()?;
                lock(&link.unacked).subscribes.push_back(filter.clone());
                if !link.client.subscribe(filter, qos) {
                    lock(&link.unacked).subscribes.pop_back();
                    return Some(queue_full());
                }
            }
            Effect::Unsubscribe { filter } => {
                let link = state.link.as_ref()?;
                lock(&link.unacked).unsubscribes.push_back(filter.clone());
                if !link.client.unsubscribe(filter) {
                    lock(&link.unacked).unsubscribes.pop_back();
                    return Some(queue_full());
                }
            }
            Effect::Publish { topic, payload, qos, retained } => {
                let link = state.link.as_ref()?;
                let outbound = Outbound { topic: topic.clone(), payload: payload.clone(), qos, retained };
                lock(&link.unacked).publishes.push_back(outbound);
                if !link.client.publish(topic, qos, retained, payload) {
                    lock(&link.unacked).publishes.pop_back();
                    return Some(queue_full());
                }
            }
        }
        None
    }

    /// Replaces the connection with one made with `options`; why it cannot be made.
    fn connect(self: &Arc<Self>, state: &mut State, options: &ConnectOptions) -> Result<(), String> {
        stop(state);
        let tls = match (options.tls, &options.ca_file) {
            (false, _) => None,
            (true, None) => Some(bank_mqtt::client::tls_config(None)),
            (true, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|error| format!("the CA file {path} cannot be read ({error}); check its path"))
                    .and_then(|pem| bank_mqtt::client::tls_config(Some(&pem))),
            ),
        };
        let tls = tls.transpose()?;
        let _runtime = runtime().enter();
        let (stop, stopped) = oneshot::channel();
        state.generation += 1;
        let generation = state.generation;
        let unacked = Arc::new(Mutex::new(Unacked::default()));
        let shared = Arc::downgrade(self);
        let report = move |event| {
            if let Some(shared) = shared.upgrade() {
                shared.dispatch(Some(generation), event);
            }
        };
        let target = format!("{}:{}", options.host, options.port);
        let client = match options.version {
            MqttVersion::V311 => {
                let (client, eventloop) = open(options, tls);
                runtime().spawn(run(eventloop, stopped, report, target, unacked.clone()));
                Client::V311(client)
            }
            MqttVersion::V5 => {
                let (client, eventloop) = v5::open(options, tls);
                runtime().spawn(v5::run(eventloop, stopped, report, target, unacked.clone()));
                Client::V5(client)
            }
        };
        state.link = Some(Running { client, stop, unacked });
        Ok(())
    }
}

fn open(options: &ConnectOptions, tls: Option<Arc<rustls::ClientConfig>>) -> (AsyncClient, EventLoop) {
    let client_id = options.client_id.clone();
    let mut mqtt = bank_mqtt::client::options(client_id, &options.host, options.port, PACKET_BYTES_MAX, tls);
    mqtt.set_clean_session(options.clean_session).set_keep_alive(Duration::from_secs(options.keepalive_secs.into()));
    if let Some((username, password)) = &options.credentials {
        mqtt.set_credentials(username, password);
    }
    if let Some(will) = &options.will {
        mqtt.set_last_will(LastWill::new(&will.topic, will.payload.clone(), qos_of(will.qos), will.retained));
    }
    bank_mqtt::client::client(mqtt, REQUESTS_QUEUED_MAX)
}

fn stop(state: &mut State) {
    if let Some(link) = state.link.take() {
        link.client.disconnect();
        let _ = link.stop.send(());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn queue_full() -> Event {
    Event::Failed {
        reason: format!(
            "{REQUESTS_QUEUED_MAX} requests are already waiting to be sent: wait for the broker to take them, then try again."
        ),
    }
}

fn qos_of(qos: u8) -> QoS {
    match qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Polls the connection until told to stop or refused, reconnecting with backoff.
async fn run(
    mut eventloop: EventLoop,
    mut stop: oneshot::Receiver<()>,
    report: impl Fn(Event),
    target: String,
    unacked: Arc<Mutex<Unacked>>,
) {
    let mut backoff = Backoff::new(RETRY_DELAY_MIN, RETRY_DELAY_MAX);
    loop {
        let polled = tokio::select! {
            _ = &mut stop => return link::say_goodbye(eventloop).await,
            polled = eventloop.poll() => polled,
        };
        match polled {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                report(Event::Connected);
            }
            // The lock is released before `report`, which may queue requests that take it.
            Ok(MqttEvent::Incoming(packet)) => {
                let event = lock(&unacked).incoming(packet);
                event.map(&report);
            }
            Ok(MqttEvent::Outgoing(outgoing)) => {
                let event = lock(&unacked).outgoing(outgoing);
                event.map(&report);
            }
            Err(ConnectionError::ConnectionRefused(code)) => {
                return report(Event::Refused { reason: refusal(code) });
            }
            Err(error) => {
                let retry_in = backoff.next_delay();
                report(Event::Lost { reason: link::describe(&error, &target), retry_in });
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(retry_in) => {}
                }
            }
        }
    }
}

impl Unacked {
    /// A request went out with its packet id: remember which one it was.
    fn outgoing(&mut self, outgoing: Outgoing) -> Option<Event> {
        match outgoing {
            Outgoing::Subscribe(pkid) => remember(&mut self.sent_subscribes, pkid, self.subscribes.pop_front()?),
            Outgoing::Unsubscribe(pkid) => remember(&mut self.sent_unsubscribes, pkid, self.unsubscribes.pop_front()?),
            // QoS 0 has no acknowledgement: it is published once it is written.
            Outgoing::Publish(0) => return self.publishes.pop_front().map(published),
            // A packet id already waiting is a retransmission after a reconnect.
            Outgoing::Publish(pkid) if !self.sent_publishes.contains_key(&pkid) => {
                remember(&mut self.sent_publishes, pkid, self.publishes.pop_front()?);
            }
            _ => {}
        }
        None
    }

    fn incoming(&mut self, packet: Packet) -> Option<Event> {
        match packet {
            Packet::Publish(publish) => Some(Event::Received {
                topic: publish.topic,
                payload: publish.payload.to_vec(),
                qos: publish.qos as u8,
                retained: publish.retain,
            }),
            Packet::SubAck(ack) => {
                let filter = self.sent_subscribes.remove(&ack.pkid)?;
                let granted = match ack.return_codes.first() {
                    Some(SubscribeReasonCode::Success(qos)) => Ok(*qos as u8),
                    _ => Err("Failure (0x80)".into()),
                };
                Some(Event::SubAck { filter, granted })
            }
            Packet::UnsubAck(ack) => self.sent_unsubscribes.remove(&ack.pkid).map(|filter| Event::UnsubAck { filter }),
            Packet::PubAck(ack) => self.sent_publishes.remove(&ack.pkid).map(published),
            Packet::PubComp(comp) => self.sent_publishes.remove(&comp.pkid).map(published),
            _ => None,
        }
    }
}

/// Bounded: past [`UNACKED_MAX`] a broker that never answers loses the oldest memories.
fn remember<T>(sent: &mut HashMap<u16, T>, pkid: u16, request: T) {
    if sent.len() >= UNACKED_MAX {
        sent.clear();
    }
    sent.insert(pkid, request);
}

fn published(outbound: Outbound) -> Event {
    let Outbound { topic, payload, qos, retained } = outbound;
    Event::Published { topic, payload, qos, retained }
}

/// What a CONNACK's refusal means, and what to do.
fn refusal(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::BadUserNamePassword => {
            "the broker refused the user name or password. Check both and connect again".into()
        }
        ConnectReturnCode::NotAuthorized => {
            "the broker did not authorize this client. Check the user name and password".into()
        }
        ConnectReturnCode::BadClientId => "the broker refused the client id. Choose another and connect again".into(),
        ConnectReturnCode::RefusedProtocolVersion => "the broker does not speak MQTT 3.1.1".into(),
        ConnectReturnCode::ServiceUnavailable => "the broker is unavailable. Try again later".into(),
        code => format!("the broker refused the connection ({code:?})"),
    }
}

/// Builds and shows the view after each change, at most one per [`VIEW_INTERVAL_MS_MIN`],
/// until the utility is dropped.
async fn deliver(shared: Weak<Shared>, mut changes: watch::Receiver<u64>, show: impl Fn(UtilityView)) {
    while changes.changed().await.is_ok() {
        changes.mark_unchanged();
        let Some(shared) = shared.upgrade() else { return };
        let view = shared.lock().model.view();
        drop(shared);
        show(view);
        tokio::time::sleep(Duration::from_millis(VIEW_INTERVAL_MS_MIN)).await;
    }
}
