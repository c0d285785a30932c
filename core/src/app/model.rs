//! The state of one signed-in device, and how every event changes it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use crate::protocol::{
    AccountId, Amount, BalanceUpdate, Direction, HistoryRequest, HistoryResult, Online, Presence, Reason, TokenIssue,
    TokenResult, TokenRevoke, Topic, TransferResult, is_device_id, topics,
};

use super::form::{Form, Limits};
use super::format;
use super::history::History;
use super::notice::{Notice, NoticeTone};
use super::outbox::{Outbox, PendingTransfer};

/// Something that happened: a user action, or news from the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Connect,
    /// `at` is the time of the goodbye the other devices see.
    Disconnect {
        at: DateTime<Utc>,
    },
    EditTransfer {
        payee: String,
        amount: String,
        memo: String,
    },
    /// The session supplies the new transfer's id (UUIDv7) and the time, so that
    /// `update` stays deterministic.
    SubmitTransfer {
        payee: String,
        amount: String,
        memo: String,
        id: Uuid,
        at: DateTime<Utc>,
    },
    LoadMoreHistory,
    /// `request_id` names any request this connection makes of the ledger (a token).
    Connected {
        at: DateTime<Utc>,
        request_id: Uuid,
    },
    ConnectionLost {
        reason: String,
        retry_in: Duration,
    },
    LoginRefused {
        reason: String,
    },
    Message {
        topic: String,
        payload: Vec<u8>,
    },
    /// The shell's answer to every [`Effect::SaveOutbox`], before it carries out any
    /// other effect: `None`, or why the file could not be written.
    OutboxSaved {
        error: Option<String>,
    },
    /// End the token of another device of this account (seen in its presence), or of this one.
    RevokeDevice {
        device: String,
        request_id: Uuid,
    },
    /// Forget this device's token and disconnect: the next session needs the password.
    SignOut {
        at: DateTime<Utc>,
        request_id: Uuid,
    },
}

/// What this session signed in with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// A password: once online, the device asks for a token of its own.
    Password,
    /// This device's token, from the shell's credential store.
    Token,
}

/// What the session must do. Carried out in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    StartConnection,
    StopConnection,
    Subscribe(Vec<String>),
    Publish {
        topic: String,
        payload: Vec<u8>,
        retain: bool,
    },
    /// Write the whole outbox durably, then answer with [`Event::OutboxSaved`] before
    /// carrying out any other effect.
    SaveOutbox(Vec<PendingTransfer>),
    /// Keep this device token in the shell's credential store and sign in with it from now on.
    SaveToken(String),
    /// The token is revoked or given up: delete it from the credential store.
    ForgetToken,
    /// A password sign-in got online: keep its broker and account for the next sign-in screen.
    RememberLogin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Not started, or disconnected by the user.
    Idle,
    Connecting,
    Online,
    Offline {
        reason: String,
        retry_in: Duration,
    },
    LoginFailed {
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    pub amount: Amount,
    pub version: u64,
}

/// Who this device is. Fixed for the life of a session.
#[derive(Clone, Debug)]
pub struct Identity {
    pub account: AccountId,
    /// The last level of this device's presence topic: stable and random.
    pub device_id: String,
    pub device_name: String,
    /// The device's time zone offset, for showing times.
    pub utc_offset: FixedOffset,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub(super) identity: Identity,
    pub(super) connection: Connection,
    pub(super) ledger_online: Option<bool>,
    pub(super) balance: Option<Balance>,
    pub(super) history: History,
    pub(super) outbox: Outbox,
    pub(super) form: Form,
    pub(super) notice: Option<Notice>,
    /// Online devices of this account: device id → name.
    pub(super) devices: BTreeMap<String, String>,
    /// Messages that could not be understood; shown nowhere, kept for diagnosis.
    pub(super) ignored_messages: u64,
    pub(super) sign_in: SignIn,
    /// The account screens are shown: reached online once, or opened with a token.
    pub(super) signed_in: bool,
    /// The id of this device's token request in flight.
    pub(super) token_request: Option<Uuid>,
    /// A new transfer whose outbox save has not been answered: it is sent only once saved.
    pub(super) awaiting_save: Option<Uuid>,
}

impl Model {
    /// `outbox` is what the previous run left unanswered.
    pub fn new(identity: Identity, outbox: Vec<PendingTransfer>) -> Model {
        Model {
            identity,
            connection: Connection::Idle,
            ledger_online: None,
            balance: None,
            history: History::default(),
            outbox: Outbox::new(outbox),
            form: Form::default(),
            notice: None,
            devices: BTreeMap::new(),
            ignored_messages: 0,
            sign_in: SignIn::Password,
            signed_in: false,
            token_request: None,
            awaiting_save: None,
        }
    }

    /// With a token the account screens open at once, before the broker answers: they show
    /// the outbox and the connection state even while it is out of reach.
    pub fn signing_in_with(mut self, sign_in: SignIn) -> Model {
        self.sign_in = sign_in;
        self.signed_in = sign_in == SignIn::Token;
        self
    }

    /// Whether the transfer is still in the outbox, waiting for the ledger.
    pub fn is_pending(&self, id: Uuid) -> bool {
        self.outbox.transfers().iter().any(|transfer| transfer.id == id)
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Connect => self.connect(),
            Event::Disconnect { at } => self.disconnect(at),
            Event::EditTransfer { payee, amount, memo } => {
                self.form = Form::new(&payee, &amount, &memo);
                self.form.check(self.limits(), false);
                vec![]
            }
            Event::SubmitTransfer { payee, amount, memo, id, at } => {
                self.submit(Form::new(&payee, &amount, &memo), id, at)
            }
            Event::LoadMoreHistory => {
                self.history.request_older().map(|request| self.history_effect(&request)).into_iter().collect()
            }
            Event::Connected { at, request_id } => self.connected(at, request_id),
            Event::ConnectionLost { reason, retry_in } => {
                if self.is_linked() {
                    self.connection = Connection::Offline { reason, retry_in };
                    self.devices.clear();
                    // A broker that restarted meanwhile knows nothing of the ledger until it says so.
                    self.ledger_online = None;
                }
                vec![]
            }
            Event::LoginRefused { reason } => self.login_refused(reason),
            Event::RevokeDevice { device, request_id } => self.revoke(&device, request_id).into_iter().collect(),
            Event::SignOut { at, request_id } => {
                let own = self.identity.device_id.clone();
                let revoke = self.revoke(&own, request_id);
                let mut effects: Vec<Effect> = revoke.into_iter().chain([Effect::ForgetToken]).collect();
                effects.extend(self.disconnect(at));
                effects
            }
            Event::Message { topic, payload } => self.receive(&topic, &payload),
            Event::OutboxSaved { error } => self.outbox_saved(error),
        }
    }

    fn is_linked(&self) -> bool {
        !matches!(self.connection, Connection::Idle | Connection::LoginFailed { .. })
    }

    fn connect(&mut self) -> Vec<Effect> {
        if self.is_linked() {
            return vec![];
        }
        self.connection = Connection::Connecting;
        vec![Effect::StartConnection]
    }

    fn disconnect(&mut self, at: DateTime<Utc>) -> Vec<Effect> {
        if !self.is_linked() {
            return vec![];
        }
        let was_online = self.connection == Connection::Online;
        self.connection = Connection::Idle;
        self.devices.clear();
        let goodbye = was_online.then(|| self.presence_effect(false, at));
        goodbye.into_iter().chain([Effect::StopConnection]).collect()
    }

    /// Everything a fresh connection needs, whether or not the broker kept the session:
    /// rumqttc drops queued publishes when it did not, so the outbox goes out again.
    fn connected(&mut self, at: DateTime<Utc>, request_id: Uuid) -> Vec<Effect> {
        if !self.is_linked() {
            return vec![];
        }
        self.connection = Connection::Online;
        let first_sign_in = !std::mem::replace(&mut self.signed_in, true);
        let (account, device) = (self.identity.account, self.identity.device_id.as_str());
        let filters = vec![
            Topic::BalanceUpdate(account).to_string(),
            Topic::TransferResult(account).to_string(),
            Topic::HistoryResult(account).to_string(),
            topics::presence_all(account),
            topics::LEDGER_STATUS.to_string(),
            Topic::TokenResult(account, device).to_string(),
        ];
        let mut effects = vec![Effect::Subscribe(filters), self.presence_effect(true, at)];
        effects.extend(first_sign_in.then_some(Effect::RememberLogin));
        effects.extend(self.request_token(request_id));
        effects.extend(self.resend_unanswered());
        effects
    }

    /// A device signed in with its password asks for a token, so that it need not keep
    /// the password nor make the broker run a slow password check on every reconnect.
    fn request_token(&mut self, request_id: Uuid) -> Option<Effect> {
        if self.sign_in != SignIn::Password {
            return None;
        }
        self.token_request = Some(request_id);
        Some(self.token_issue_effect(request_id))
    }

    fn token_issue_effect(&self, request_id: Uuid) -> Effect {
        let request = TokenIssue { id: request_id, name: Some(self.identity.device_name.clone()) };
        let payload = serde_json::to_vec(&request).expect("a token request always serialises");
        Effect::Publish {
            topic: Topic::TokenIssue(self.identity.account, &self.identity.device_id).to_string(),
            payload,
            retain: false,
        }
    }

    fn revoke(&self, device: &str, request_id: Uuid) -> Option<Effect> {
        if self.connection != Connection::Online || !is_device_id(device) {
            return None;
        }
        let request = TokenRevoke { id: request_id, device: device.to_string() };
        let payload = serde_json::to_vec(&request).expect("a revoke request always serialises");
        let topic = Topic::TokenRevoke(self.identity.account, &self.identity.device_id).to_string();
        Some(Effect::Publish { topic, payload, retain: false })
    }

    /// A refused token means the device was signed out elsewhere: forget it and ask for
    /// the password. A refused password just fails.
    fn login_refused(&mut self, reason: String) -> Vec<Effect> {
        if !self.is_linked() {
            return vec![Effect::StopConnection];
        }
        if self.sign_in == SignIn::Token {
            self.connection = Connection::LoginFailed {
                reason: "this device was signed out. Sign in with your password again".into(),
            };
            return vec![Effect::ForgetToken, Effect::StopConnection];
        }
        self.connection = Connection::LoginFailed { reason };
        vec![Effect::StopConnection]
    }

    fn on_token(&mut self, result: TokenResult) -> Vec<Effect> {
        match result {
            TokenResult::Issued { id, token } if self.token_request == Some(id) => {
                self.token_request = None;
                self.sign_in = SignIn::Token;
                vec![Effect::SaveToken(token)]
            }
            TokenResult::Revoked { device, revoked: true, .. } => {
                let name = self.devices.get(&device).cloned().unwrap_or_else(|| device.clone());
                let text = format!("{name} is signed out. It needs the password to sign in again.");
                self.notice = Some(Notice { tone: NoticeTone::Success, text });
                vec![]
            }
            // No token: the device keeps signing in with its password.
            TokenResult::Rejected { id, .. } if id.is_some() && id == self.token_request => {
                self.token_request = None;
                vec![]
            }
            _ => vec![],
        }
    }

    fn submit(&mut self, mut form: Form, id: Uuid, at: DateTime<Utc>) -> Vec<Effect> {
        let valid = form.check(self.limits(), true);
        self.form = form;
        let Some(valid) = valid else { return vec![] };
        if self.outbox.is_full() {
            self.notice = Some(Notice {
                tone: NoticeTone::Error,
                text: "Too many transfers are waiting to be sent. Reconnect, then try again.".into(),
            });
            return vec![];
        }
        let transfer = PendingTransfer { id, to: valid.to, amount: valid.amount, memo: valid.memo, created_at: at };
        self.notice = Some(Notice {
            tone: NoticeTone::Info,
            text: match self.connection {
                Connection::Online => format!("Sending {} to #{}…", format::money(transfer.amount), transfer.to),
                _ => format!(
                    "{} to #{} will be sent when you are back online.",
                    format::money(transfer.amount),
                    transfer.to
                ),
            },
        });
        self.form = Form::default();
        self.outbox.push(transfer);
        self.awaiting_save = Some(id);
        vec![Effect::SaveOutbox(self.outbox.transfers().to_vec())]
    }

    /// A new transfer goes out once it is on disk, and never if it could not be saved.
    /// Other saves only drop settled transfers: if one fails, the file still holds them,
    /// and a restart sends them again for the ledger to answer from its records.
    fn outbox_saved(&mut self, error: Option<String>) -> Vec<Effect> {
        let Some(id) = self.awaiting_save.take() else { return vec![] };
        let Some(error) = error else {
            let transfer = self.outbox.transfers().iter().find(|transfer| transfer.id == id);
            let send = transfer.filter(|_| self.connection == Connection::Online);
            return send.map(|transfer| transfer_effect(self.identity.account, transfer)).into_iter().collect();
        };
        self.outbox.take(id);
        self.notice = Some(Notice {
            tone: NoticeTone::Error,
            text: format!(
                "The transfer was not sent: it could not be saved on this device ({error}). Free some storage and try again."
            ),
        });
        vec![]
    }

    fn limits(&self) -> Limits {
        let available = self.balance.and_then(|balance| balance.amount.checked_sub(self.outbox.total()));
        Limits { payer: self.identity.account, available }
    }

    fn receive(&mut self, topic: &str, payload: &[u8]) -> Vec<Effect> {
        let account = self.identity.account;
        fn json<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Option<T> {
            serde_json::from_slice(payload).ok()
        }
        let effects = match Topic::parse(topic) {
            Some(Topic::BalanceUpdate(owner)) if owner == account => json(payload)
                .filter(|update: &BalanceUpdate| update.account == account)
                .map(|update| self.on_balance(update)),
            Some(Topic::TransferResult(owner)) if owner == account => {
                json(payload).map(|result| self.on_result(result))
            }
            Some(Topic::HistoryResult(owner)) if owner == account => {
                json(payload).map(|result| self.on_history(result))
            }
            Some(Topic::LedgerStatus) => json(payload).map(|status: Online| self.on_ledger_status(status.online)),
            Some(Topic::Presence(owner, device)) if owner == account => {
                json(payload).map(|presence| self.on_presence(device, presence))
            }
            Some(Topic::TokenResult(owner, device)) if owner == account && device == self.identity.device_id => {
                json(payload).map(|result| self.on_token(result))
            }
            _ => None,
        };
        effects.unwrap_or_else(|| {
            self.ignored_messages += 1;
            vec![]
        })
    }

    /// The retained balance is the truth. An older or repeated version changes nothing;
    /// a jump past the changes an update carries means updates were missed, so the newest
    /// history page is fetched. One update may carry a whole batch's changes, oldest first.
    fn on_balance(&mut self, update: BalanceUpdate) -> Vec<Effect> {
        let known = self.balance.map(|balance| balance.version);
        if known.is_some_and(|known| update.version <= known) {
            return vec![];
        }
        self.balance = Some(Balance { amount: update.balance, version: update.version });
        let changes = update.changes();
        // One save of the outbox covers every transfer the update settles.
        let settled = changes.iter().filter_map(|change| self.settle(change.entry.id, change.entry.direction)).last();
        let mut effects: Vec<Effect> = settled.into_iter().collect();
        let oldest = changes.first().map(|change| change.version);
        let continues = known.zip(oldest).is_some_and(|(known, oldest)| oldest <= known.saturating_add(1));
        if continues {
            for change in changes.into_iter().filter(|change| known.is_some_and(|known| change.version > known)) {
                self.history.push_live(change);
            }
            return effects;
        }
        effects.extend(self.history.request_newest(update.version).map(|request| self.history_effect(&request)));
        effects
    }

    /// Removes a transfer from the outbox once the ledger has applied it.
    fn settle(&mut self, id: Uuid, direction: Direction) -> Option<Effect> {
        if direction != Direction::Out {
            return None;
        }
        let transfer = self.outbox.take(id)?;
        self.notice = Some(Notice {
            tone: NoticeTone::Success,
            text: format!("Sent {} to #{}", format::money(transfer.amount), transfer.to),
        });
        Some(Effect::SaveOutbox(self.outbox.transfers().to_vec()))
    }

    fn on_result(&mut self, result: TransferResult) -> Vec<Effect> {
        match result {
            TransferResult::Accepted { id, .. } => self.settle(id, Direction::Out).into_iter().collect(),
            TransferResult::Rejected { id: Some(id), reason, message } => {
                let Some(transfer) = self.outbox.take(id) else { return vec![] };
                let why = rejection_text(reason, &message, &transfer);
                self.notice = Some(Notice {
                    tone: NoticeTone::Error,
                    text: format!("{} to #{} was not sent: {why}", format::money(transfer.amount), transfer.to),
                });
                self.history.reject(transfer, why);
                vec![Effect::SaveOutbox(self.outbox.transfers().to_vec())]
            }
            // Nothing of this device's can be matched to it.
            TransferResult::Rejected { id: None, .. } => vec![],
        }
    }

    fn on_history(&mut self, result: HistoryResult) -> Vec<Effect> {
        match result {
            HistoryResult::Page { account, before_version, entries, next_before_version }
                if account == self.identity.account =>
            {
                // A page can be the first news of a transfer whose result was lost.
                let settled: Vec<Effect> =
                    entries.iter().filter_map(|row| self.settle(row.entry.id, row.entry.direction)).collect();
                let mut effects: Vec<Effect> = settled.into_iter().last().into_iter().collect();
                if !self.history.on_page(before_version, entries, next_before_version) {
                    self.ignored_messages += 1;
                } else if before_version.is_none() {
                    effects.extend(self.fetch_newer_gap());
                }
                effects
            }
            HistoryResult::Rejected { message, .. } => {
                self.history.cancel_request();
                self.notice =
                    Some(Notice { tone: NoticeTone::Error, text: format!("History could not be loaded: {message}") });
                vec![]
            }
            HistoryResult::Page { .. } => {
                self.ignored_messages += 1;
                vec![]
            }
        }
    }

    /// A newest page reaches the balance known when it was asked for. If another gap opened
    /// while it was on its way (one request is in flight at a time), it is fetched now.
    fn fetch_newer_gap(&mut self) -> Option<Effect> {
        let version = self.balance?.version;
        if self.history.reaches(version) {
            return None;
        }
        self.history.request_newest(version).map(|request| self.history_effect(&request))
    }

    /// A ledger that comes back may have missed what was sent while it was away (its broker
    /// session may be gone), so everything unanswered goes out again, the token request
    /// too (the ledger issues once per request). That includes the first "online" after a
    /// reconnect: a restarted embedded broker takes devices a moment before the ledger has
    /// subscribed, and drops what they publish in that moment.
    fn on_ledger_status(&mut self, online: bool) -> Vec<Effect> {
        let returned = self.ledger_online != Some(true) && online;
        self.ledger_online = Some(online);
        if !returned || self.connection != Connection::Online {
            return vec![];
        }
        let token = self.token_request.filter(|_| self.sign_in == SignIn::Password);
        let mut effects = self.resend_unanswered();
        effects.extend(token.map(|request_id| self.token_issue_effect(request_id)));
        effects
    }

    fn resend_unanswered(&self) -> Vec<Effect> {
        let account = self.identity.account;
        let transfers = self.outbox.transfers().iter().map(|transfer| transfer_effect(account, transfer));
        transfers.chain(self.history.awaiting().map(|request| self.history_effect(&request))).collect()
    }

    fn on_presence(&mut self, device: &str, presence: Presence) -> Vec<Effect> {
        if presence.online {
            let name = presence.name.filter(|name| !name.trim().is_empty()).unwrap_or_else(|| device.to_string());
            self.devices.insert(device.to_string(), name);
        } else {
            self.devices.remove(device);
        }
        vec![]
    }

    fn presence_effect(&self, online: bool, at: DateTime<Utc>) -> Effect {
        let presence = Presence { online, name: Some(self.identity.device_name.clone()), at: Some(at.into()) };
        Effect::Publish {
            topic: Topic::Presence(self.identity.account, &self.identity.device_id).to_string(),
            payload: presence.json(),
            retain: true,
        }
    }

    fn history_effect(&self, request: &HistoryRequest) -> Effect {
        let payload = serde_json::to_vec(request).expect("a history request always serialises");
        Effect::Publish { topic: Topic::HistoryRequest(self.identity.account).to_string(), payload, retain: false }
    }
}

fn transfer_effect(account: AccountId, transfer: &PendingTransfer) -> Effect {
    Effect::Publish {
        topic: Topic::TransferRequest(account).to_string(),
        payload: transfer.request().to_json(),
        retain: false,
    }
}

/// Why the ledger refused, in words for the person who sent it.
fn rejection_text(reason: Reason, message: &str, transfer: &PendingTransfer) -> String {
    match reason {
        Reason::InsufficientFunds => "not enough money in the account".into(),
        Reason::UnknownAccount => format!("there is no account #{}", transfer.to),
        Reason::SameAccount => "you can't send money to your own account".into(),
        Reason::InvalidAmount | Reason::MalformedRequest => format!("the ledger refused it ({message})"),
        Reason::IdConflict => "its id was already used by a different transfer".into(),
    }
}
