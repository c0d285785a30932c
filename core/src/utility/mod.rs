//! The MQTT client utility as a pure state machine, like [`crate::explorer`]: events in,
//! effects and a ready-to-render view out. It is the seed's IBM MQTT Client Utility done
//! properly: connect to any broker with any options, subscribe with wildcards and see
//! what the broker granted (or denied), publish at any QoS, and read a bounded history
//! that can be exported, diffed and browsed as a topic tree. Everything from the network
//! is untrusted and bounded; the link in `session::utility` carries out the effects.

mod form;
mod history;
mod payload;
mod topic;
mod tree;
mod view;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use std::time::Duration;

use crate::app::Connection;
pub use form::{ConnectOptions, ConnectionForm, MESSAGE_BYTES_MAX, MqttVersion, Will};
use history::{Entry, History, Kind, Message};
pub use history::{ROWS_MAX, yes_no};
pub use payload::{DiffLine, Format, KEPT_BYTES_MAX, Payload};
pub use topic::{check_filter, check_topic};
use tree::Tree;
pub use tree::{TOPICS_MAX, TreeRow};
pub use view::{Export, ExportFormat, HistoryRow, MessageView, SubscriptionRow, UtilityView};

/// Subscriptions one client may hold here; each is a row the person manages by hand.
pub const SUBSCRIPTIONS_MAX: usize = 100;

/// What the person does, as the window sends it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub enum Action {
    /// Connects with the form as typed; connecting again replaces the connection.
    Connect(ConnectionForm),
    Disconnect,
    Subscribe {
        filter: String,
        qos: u8,
    },
    Unsubscribe {
        filter: String,
    },
    Publish {
        topic: String,
        message: String,
        qos: u8,
        retained: bool,
    },
    ClearHistory,
    /// On: the window keeps its scroll position as rows arrive.
    ScrollLock(bool),
    /// A history row's id, or `None` to close the message.
    ViewMessage(Option<u64>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Action(Action),
    /// The broker accepted the CONNECT.
    Connected,
    Lost {
        reason: String,
        retry_in: Duration,
    },
    /// The broker refused the CONNECT; the link has stopped.
    Refused {
        reason: String,
    },
    /// The SUBACK for `filter`: the QoS granted, or the failure's reason code.
    SubAck {
        filter: String,
        granted: Result<u8, String>,
    },
    UnsubAck {
        filter: String,
    },
    /// The broker acknowledged a publication (PUBACK, PUBCOMP), or QoS 0 left.
    Published {
        topic: String,
        payload: Vec<u8>,
        qos: u8,
        retained: bool,
    },
    /// An MQTT 5 broker refused a publication in its PUBACK or PUBCOMP.
    PublishRefused {
        topic: String,
        reason: String,
    },
    Received {
        topic: String,
        payload: Vec<u8>,
        qos: u8,
        retained: bool,
    },
    /// The link could not carry out a request (its queue is full, a file cannot be read).
    Failed {
        reason: String,
    },
    /// The shell saved an export: where, or why not.
    Exported {
        result: Result<String, String>,
        rows: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Connect(ConnectOptions),
    Disconnect,
    Subscribe { filter: String, qos: u8 },
    Unsubscribe { filter: String },
    Publish { topic: String, payload: Vec<u8>, qos: u8, retained: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Granted {
    Waiting,
    Qos(u8),
    Denied,
    Unsubscribing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Subscription {
    filter: String,
    requested: u8,
    granted: Granted,
}

/// Which section a message belongs to, so it shows beside the button that caused it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Errors {
    connect: Option<String>,
    subscribe: Option<String>,
    publish: Option<String>,
}

pub struct Utility {
    utc_offset: FixedOffset,
    form: ConnectionForm,
    /// What the current connection was made with.
    connected_with: Option<ConnectOptions>,
    connection: Connection,
    /// Set once a failed attempt is in the history, so retries do not fill it.
    failure_shown: bool,
    subscriptions: Vec<Subscription>,
    history: History,
    tree: Tree,
    selected: Option<u64>,
    scroll_lock: bool,
    errors: Errors,
    /// The last export's outcome: `(text, is_error)`.
    notice: Option<(String, bool)>,
}

impl Utility {
    /// `client_id` is the generated default, such as `utility-1a2b3c4d`.
    pub fn new(utc_offset: FixedOffset, client_id: String) -> Utility {
        Utility {
            utc_offset,
            form: ConnectionForm { client_id, ..ConnectionForm::default() },
            connected_with: None,
            connection: Connection::Idle,
            failure_shown: false,
            subscriptions: Vec::new(),
            history: History::default(),
            tree: Tree::default(),
            selected: None,
            scroll_lock: false,
            errors: Errors::default(),
            notice: None,
        }
    }

    pub fn update(&mut self, event: Event, at: DateTime<Utc>) -> Vec<Effect> {
        match event {
            Event::Action(action) => return self.act(action, at),
            Event::Connected => return self.on_connected(at),
            Event::Lost { reason, retry_in } => self.on_lost(reason, retry_in, at),
            Event::Refused { reason } => {
                self.history.push(Entry::note(Kind::Error, "", format!("Login failed: {reason}.")), at);
                self.connection = Connection::LoginFailed { reason };
            }
            Event::SubAck { filter, granted } => self.on_suback(filter, granted, at),
            Event::UnsubAck { filter } => {
                self.subscriptions.retain(|subscription| subscription.filter != filter);
                self.history.push(Entry::note(Kind::Unsubscribed, &filter, "The broker confirmed.".into()), at);
            }
            Event::Published { topic, payload, qos, retained } => {
                self.history.push(message(Kind::Published, topic, &payload, qos, retained), at);
            }
            Event::PublishRefused { topic, reason } => {
                let note = format!("The broker refused the publication: {reason}.");
                self.history.push(Entry::note(Kind::Error, &topic, note), at);
            }
            Event::Received { topic, payload, qos, retained } => {
                self.tree.receive(&topic, &payload, retained);
                self.history.push(message(Kind::Received, topic, &payload, qos, retained), at);
            }
            Event::Failed { reason } => {
                self.history.push(Entry::note(Kind::Error, "", reason), at);
            }
            Event::Exported { result, rows } => {
                self.notice = Some(match result {
                    Ok(path) => (format!("Exported {rows} rows to {path}"), false),
                    Err(error) => (format!("The export was not saved: {error}"), true),
                });
            }
        }
        Vec::new()
    }

    fn act(&mut self, action: Action, at: DateTime<Utc>) -> Vec<Effect> {
        match action {
            Action::Connect(form) => return self.connect(form),
            Action::Disconnect => return self.disconnect(at),
            Action::Subscribe { filter, qos } => return self.subscribe(filter, qos),
            Action::Unsubscribe { filter } => return self.unsubscribe(&filter),
            Action::Publish { topic, message, qos, retained } => return self.publish(topic, message, qos, retained),
            Action::ClearHistory => {
                self.history.clear();
                self.tree.clear();
                self.selected = None;
                self.notice = None;
            }
            Action::ScrollLock(on) => self.scroll_lock = on,
            Action::ViewMessage(id) => self.selected = id.filter(|id| self.history.get(*id).is_some()),
        }
        Vec::new()
    }

    fn connect(&mut self, form: ConnectionForm) -> Vec<Effect> {
        let checked = form.check();
        self.form = form;
        let options = match checked {
            Ok(options) => options,
            Err(error) => {
                self.errors.connect = Some(error);
                return Vec::new();
            }
        };
        self.errors = Errors::default();
        if options.clean_session {
            self.subscriptions.clear();
        }
        self.connection = Connection::Connecting;
        self.failure_shown = false;
        self.connected_with = Some(options.clone());
        vec![Effect::Connect(options)]
    }

    fn disconnect(&mut self, at: DateTime<Utc>) -> Vec<Effect> {
        if self.connection == Connection::Idle {
            return Vec::new();
        }
        self.connection = Connection::Idle;
        if self.connected_with.as_ref().is_none_or(|options| options.clean_session) {
            self.subscriptions.clear();
        }
        self.history.push(Entry::note(Kind::Disconnected, "", "Disconnected by you.".into()), at);
        vec![Effect::Disconnect]
    }

    fn on_connected(&mut self, at: DateTime<Utc>) -> Vec<Effect> {
        self.connection = Connection::Online;
        self.failure_shown = false;
        let Some(options) = &self.connected_with else { return Vec::new() };
        let session = if options.clean_session { "clean session" } else { "persistent session" };
        let version = match options.version {
            MqttVersion::V311 => "MQTT 3.1.1",
            MqttVersion::V5 => "MQTT 5",
        };
        let note =
            format!("Connected to {}:{} as {} ({version}, {session}).", options.host, options.port, options.client_id);
        self.history.push(Entry::note(Kind::Connected, "", note), at);
        if !options.clean_session {
            return Vec::new();
        }
        // A clean session forgot every subscription: ask again for the ones still wanted.
        let wanted = self.subscriptions.iter_mut().filter(|subscription| subscription.granted != Granted::Denied);
        wanted
            .filter_map(|subscription| match subscription.granted {
                Granted::Unsubscribing => None,
                _ => {
                    subscription.granted = Granted::Waiting;
                    Some(Effect::Subscribe { filter: subscription.filter.clone(), qos: subscription.requested })
                }
            })
            .collect()
    }

    fn on_lost(&mut self, reason: String, retry_in: Duration, at: DateTime<Utc>) {
        if self.connection == Connection::Idle {
            return;
        }
        if self.connection == Connection::Online {
            self.history.push(Entry::note(Kind::Disconnected, "", format!("Connection lost: {reason}.")), at);
        } else if !self.failure_shown {
            self.history.push(Entry::note(Kind::Error, "", format!("Cannot connect: {reason}.")), at);
        }
        self.failure_shown = true;
        self.connection = Connection::Offline { reason, retry_in };
    }

    fn on_suback(&mut self, filter: String, granted: Result<u8, String>, at: DateTime<Utc>) {
        let subscription = self.subscriptions.iter_mut().find(|subscription| subscription.filter == filter);
        let requested = subscription.as_ref().map(|subscription| subscription.requested);
        if let Some(subscription) = subscription {
            subscription.granted = granted.as_ref().map_or(Granted::Denied, |qos| Granted::Qos(*qos));
        }
        let entry = match granted {
            Ok(qos) => {
                let asked = requested.filter(|requested| *requested != qos);
                let note = match asked {
                    Some(requested) => format!("Granted QoS {qos} (asked for {requested})."),
                    None => format!("Granted QoS {qos}."),
                };
                Entry { qos: Some(qos), ..Entry::note(Kind::Subscribed, &filter, note) }
            }
            Err(code) => {
                let note = format!(
                    "Subscription denied: the broker's SUBACK says {code}. This user may not read these topics, or the broker refuses the filter."
                );
                Entry::note(Kind::Error, &filter, note)
            }
        };
        self.history.push(entry, at);
    }

    fn subscribe(&mut self, filter: String, qos: u8) -> Vec<Effect> {
        self.errors.subscribe = self.check_subscribe(&filter, qos).err();
        if self.errors.subscribe.is_some() {
            return Vec::new();
        }
        let granted = Granted::Waiting;
        match self.subscriptions.iter_mut().find(|subscription| subscription.filter == filter) {
            // Subscribing again to the same filter replaces it, as MQTT does.
            Some(subscription) => *subscription = Subscription { filter: filter.clone(), requested: qos, granted },
            None => self.subscriptions.push(Subscription { filter: filter.clone(), requested: qos, granted }),
        }
        vec![Effect::Subscribe { filter, qos }]
    }

    fn check_subscribe(&self, filter: &str, qos: u8) -> Result<(), String> {
        self.check_online()?;
        check_filter(filter)?;
        form::check_qos(qos)?;
        let known = self.subscriptions.iter().any(|subscription| subscription.filter == filter);
        if !known && self.subscriptions.len() >= SUBSCRIPTIONS_MAX {
            return Err(format!(
                "This utility holds at most {SUBSCRIPTIONS_MAX} subscriptions: unsubscribe from one first."
            ));
        }
        Ok(())
    }

    fn unsubscribe(&mut self, filter: &str) -> Vec<Effect> {
        self.errors.subscribe = None;
        let Some(index) = self.subscriptions.iter().position(|subscription| subscription.filter == filter) else {
            self.errors.subscribe = Some(format!("There is no subscription to '{filter}' to remove."));
            return Vec::new();
        };
        // A denied one is not on the broker: it only leaves the list.
        if self.subscriptions[index].granted == Granted::Denied || self.connection != Connection::Online {
            self.subscriptions.remove(index);
            return Vec::new();
        }
        self.subscriptions[index].granted = Granted::Unsubscribing;
        vec![Effect::Unsubscribe { filter: filter.into() }]
    }

    fn publish(&mut self, topic: String, message: String, qos: u8, retained: bool) -> Vec<Effect> {
        let checked = self.check_online().and_then(|()| check_topic(&topic)).and_then(|()| form::check_qos(qos));
        let checked = checked.and_then(|()| match message.len() > MESSAGE_BYTES_MAX {
            true => {
                Err(format!("The message is {} bytes; this utility sends at most {MESSAGE_BYTES_MAX}.", message.len()))
            }
            false => Ok(()),
        });
        self.errors.publish = checked.err();
        if self.errors.publish.is_some() {
            return Vec::new();
        }
        vec![Effect::Publish { topic, payload: message.into_bytes(), qos, retained }]
    }

    fn check_online(&self) -> Result<(), String> {
        match self.connection {
            Connection::Online => Ok(()),
            _ => Err("Not connected: connect to a broker first.".into()),
        }
    }
}

fn message(kind: Kind, topic: String, payload: &[u8], qos: u8, retained: bool) -> Entry {
    Entry { kind, topic, message: Message::Payload(Payload::new(payload)), qos: Some(qos), retained: Some(retained) }
}

#[cfg(test)]
mod tests;
