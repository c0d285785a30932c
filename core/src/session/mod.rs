//! The imperative shell around [`crate::app`]: it owns the tokio runtime, the MQTT
//! connection and the outbox file, feeds events to the model and carries out its
//! effects. The desktop app and the `bank` CLI use [`Session`] directly; phones reach it
//! through [`crate::ffi`].
//!
//! No call blocks its caller on the network: actions update the model under a lock,
//! queue MQTT packets without waiting, and return. Views reach the observer from a
//! thread of their own, after every lock is released.

mod config;
mod credentials;
pub mod link;
mod login;
mod operator;
mod storage;
mod utility;

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rumqttc::{AsyncClient, QoS, SubscribeFilter};
use tokio::runtime::Runtime;
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::app::{Effect, Event, Identity, Model, SignIn, ViewModel};
use crate::protocol::is_token;

pub use config::{SessionConfig, SessionError};
use config::{Settings, storage_error};
pub use credentials::{CredentialStore, FileCredentialStore};
use link::LinkEvent;
use login::broker_address;
pub use login::{LastLogin, last_login, login_config, resume_config};
pub use operator::Operator;
use storage::Storage;
pub use utility::UtilitySession;

/// Far above what one event can cause (a reconnect resends at most the outbox's 100
/// transfers); reaching it means the model and its answers loop.
const EFFECTS_PER_EVENT_MAX: usize = 1024;

/// Told about every new view. Called on a thread of the core's, never while it holds a
/// lock, so an implementation may call back into the session. Nothing new is delivered
/// once the session is dropped, though a view already being delivered may still arrive.
#[cfg_attr(feature = "uniffi", uniffi::export(foreign))]
pub trait ViewObserver: Send + Sync {
    fn on_view(&self, view: ViewModel);
}

/// One signed-in device. Dropping it disconnects politely.
pub struct Session {
    shared: Arc<Shared>,
    /// Set on drop: the observer hears nothing after its session is gone.
    closed: Arc<AtomicBool>,
}

struct Shared {
    state: Mutex<State>,
    views: watch::Sender<ViewModel>,
    settings: Settings,
    /// This device's stable id, from its storage directory.
    device_id: String,
    storage: Storage,
    credentials: Arc<dyn CredentialStore>,
    /// The password or token the next (re)connect presents; a new token replaces the
    /// password here, so the link stops sending the password.
    secret: watch::Sender<String>,
}

struct State {
    model: Model,
    link: Option<Link>,
    /// Counts links, so that events from a link already stopped are ignored.
    generation: u64,
}

struct Link {
    client: AsyncClient,
    stop: oneshot::Sender<()>,
    generation: u64,
}

impl Session {
    /// `credentials` is where this device's token lives: given a token there, the
    /// config's password may be empty.
    pub fn new(
        config: SessionConfig,
        observer: Arc<dyn ViewObserver>,
        credentials: Arc<dyn CredentialStore>,
    ) -> Result<Session, SessionError> {
        let session = Session::open(config, credentials)?;
        notify(session.views(), observer, session.closed.clone());
        Ok(session)
    }

    /// As [`Session::new`] for an async host, which watches [`Session::views`] itself
    /// instead of lending the session a thread per observer.
    pub fn open(config: SessionConfig, credentials: Arc<dyn CredentialStore>) -> Result<Session, SessionError> {
        let settings = Settings::check(&config)?;
        let (secret, sign_in) = secret(&config, &settings, credentials.as_ref())?;
        let root = settings.storage_dir.as_path();
        let device_id = storage::device_id(root).map_err(|error| storage_error(&root.display(), error))?;
        let storage = Storage::open(root, settings.account).map_err(|error| storage_error(&root.display(), error))?;
        let outbox = storage.load_outbox().map_err(|error| storage_error(&storage.outbox_path().display(), error))?;
        let identity = Identity {
            account: settings.account,
            device_id: device_id.clone(),
            device_name: settings.device_name.clone(),
            utc_offset: *chrono::Local::now().offset(),
        };
        let model = Model::new(identity, outbox).signing_in_with(sign_in);
        let views = watch::Sender::new(model.view());
        let closed = Arc::new(AtomicBool::new(false));
        let state = Mutex::new(State { model, link: None, generation: 0 });
        let secret = watch::Sender::new(secret);
        let shared = Shared { state, views, settings, device_id, storage, credentials, secret };
        Ok(Session { shared: Arc::new(shared), closed })
    }

    /// Every new view, coalesced to the latest; it ends when the session is dropped.
    pub fn views(&self) -> watch::Receiver<ViewModel> {
        self.shared.views.subscribe()
    }

    pub fn connect(&self) {
        self.shared.dispatch(Event::Connect);
    }

    pub fn disconnect(&self) {
        self.shared.dispatch(Event::Disconnect { at: chrono::Utc::now() });
    }

    /// Re-checks the form as the user types, so errors and the send button stay current.
    pub fn edit_transfer(&self, payee: &str, amount: &str, memo: &str) {
        self.shared.dispatch(Event::EditTransfer { payee: payee.into(), amount: amount.into(), memo: memo.into() });
    }

    /// Checks the form and, if it is valid, saves the transfer to the outbox and sends it.
    /// Returns its id, or `None` when it was not queued: the form has errors or the outbox
    /// is full (the view says which).
    pub fn transfer(&self, payee: &str, amount: &str, memo: &str) -> Result<Option<Uuid>, SessionError> {
        let id = Uuid::now_v7();
        let at = chrono::Utc::now();
        let event = Event::SubmitTransfer { payee: payee.into(), amount: amount.into(), memo: memo.into(), id, at };
        let mut state = self.shared.lock();
        let saved = self.shared.run(&mut state, event);
        let queued = state.model.is_pending(id);
        self.shared.publish_view(state);
        saved.map_err(|error| storage_error(&self.shared.storage.outbox_path().display(), error))?;
        Ok(queued.then_some(id))
    }

    pub fn load_more_history(&self) {
        self.shared.dispatch(Event::LoadMoreHistory);
    }

    /// Ends the token of another device of this account (a device id from its presence).
    pub fn revoke_device(&self, device: &str) {
        self.shared.dispatch(Event::RevokeDevice { device: device.into(), request_id: Uuid::new_v4() });
    }

    /// Revokes this device's token, forgets it and disconnects: the next sign-in needs the password.
    pub fn sign_out(&self) {
        self.shared.dispatch(Event::SignOut { at: chrono::Utc::now(), request_id: Uuid::new_v4() });
    }

    pub fn view(&self) -> ViewModel {
        self.shared.views.borrow().clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
        self.disconnect();
        // The link can no longer change the model, so the next session may take over now.
        self.shared.storage.release();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn dispatch(self: &Arc<Self>, event: Event) {
        let mut state = self.lock();
        // A failed save is already in the model's notice; `transfer` also returns it.
        let _ = self.run(&mut state, event);
        self.publish_view(state);
    }

    fn dispatch_from_link(self: &Arc<Self>, generation: u64, event: Event) {
        let mut state = self.lock();
        if state.link.as_ref().is_some_and(|link| link.generation == generation) {
            let _ = self.run(&mut state, event);
            self.publish_view(state);
        }
    }

    /// Updates the model and carries out its effects in order. An effect's answer goes
    /// back to the model at once, and the effects that answer brings come next. Returns
    /// the first save that failed (the model has heard of it too).
    fn run(self: &Arc<Self>, state: &mut State, event: Event) -> std::io::Result<()> {
        let mut effects: VecDeque<Effect> = state.model.update(event).into();
        let mut outcome = Ok(());
        for _ in 0..EFFECTS_PER_EVENT_MAX {
            let Some(effect) = effects.pop_front() else { return outcome };
            let Some(saved) = self.execute(state, effect) else { continue };
            let error = saved.err();
            let answer = Event::OutboxSaved { error: error.as_ref().map(ToString::to_string) };
            for next in state.model.update(answer).into_iter().rev() {
                effects.push_front(next);
            }
            if let Some(error) = error {
                outcome = outcome.and(Err(error));
            }
        }
        panic!("the model kept asking for effects: more than {EFFECTS_PER_EVENT_MAX} for one event");
    }

    /// Carries out one effect; `Some` with the result when the model expects an answer.
    fn execute(self: &Arc<Self>, state: &mut State, effect: Effect) -> Option<std::io::Result<()>> {
        match effect {
            Effect::SaveOutbox(transfers) => return Some(self.storage.save_outbox(&transfers)),
            Effect::SaveToken(token) => {
                self.credentials.save(self.settings.account.to_string(), token.clone());
                self.secret.send_replace(token);
            }
            Effect::ForgetToken => self.credentials.delete(self.settings.account.to_string()),
            // Only the next sign-in screen's convenience: a failed write costs nothing more.
            Effect::RememberLogin => {
                let _ = login::remember_login(&self.settings.storage_dir, &self.last_login());
            }
            Effect::StartConnection => self.start_link(state),
            Effect::StopConnection => {
                if let Some(link) = state.link.take() {
                    let _ = link.client.try_disconnect();
                    let _ = link.stop.send(());
                }
            }
            // A packet that cannot be queued is not lost: the outbox and the pending
            // history request go out again on the next connection.
            Effect::Subscribe(filters) => {
                if let Some(link) = &state.link {
                    let filters = filters.into_iter().map(|filter| SubscribeFilter::new(filter, QoS::AtLeastOnce));
                    let _ = link.client.try_subscribe_many(filters);
                }
            }
            Effect::Publish { topic, payload, retain } => {
                if let Some(link) = &state.link {
                    let _ = link.client.try_publish(topic, QoS::AtLeastOnce, retain, payload);
                }
            }
        }
        None
    }

    fn last_login(&self) -> LastLogin {
        let tls = self.settings.tls.is_some();
        let address = bank_mqtt::Address { host: self.settings.host.clone(), port: self.settings.port, tls };
        LastLogin { broker: address.to_string(), account: self.settings.account.to_string() }
    }

    fn start_link(self: &Arc<Self>, state: &mut State) {
        let _runtime = runtime().enter();
        let (client, eventloop) = link::open(&self.settings, &self.device_id, &self.secret.borrow());
        let (stop, stopped) = oneshot::channel();
        state.generation += 1;
        let generation = state.generation;
        let shared = Arc::downgrade(self);
        let report = move |event| {
            if let Some(shared) = shared.upgrade() {
                shared.dispatch_from_link(generation, app_event(event));
            }
        };
        let target = format!("{}:{}", self.settings.host, self.settings.port);
        let secret = link::Secret { username: self.settings.account.to_string(), current: self.secret.subscribe() };
        runtime().spawn(link::run(eventloop, stopped, report, target, Some(secret)));
        state.link = Some(Link { client, stop, generation });
    }

    /// Sent before the lock is released, so views reach the channel in the order the
    /// model produced them. The channel only clones; the observer runs elsewhere.
    fn publish_view(&self, state: MutexGuard<'_, State>) {
        let view = state.model.view();
        self.views.send_if_modified(|current| {
            let changed = *current != view;
            *current = view;
            changed
        });
        drop(state);
    }
}

fn app_event(event: LinkEvent) -> Event {
    match event {
        LinkEvent::Connected => Event::Connected { at: chrono::Utc::now(), request_id: Uuid::new_v4() },
        LinkEvent::Message { topic, payload, .. } => Event::Message { topic, payload },
        LinkEvent::Lost { reason, retry_in } => Event::ConnectionLost { reason, retry_in },
        LinkEvent::LoginRefused { reason } => Event::LoginRefused { reason },
    }
}

/// A typed password signs in afresh (and earns a new token); without one, the stored token does.
fn secret(
    config: &SessionConfig,
    settings: &Settings,
    credentials: &dyn CredentialStore,
) -> Result<(String, SignIn), SessionError> {
    if !config.password.is_empty() {
        return Ok((config.password.clone(), SignIn::Password));
    }
    match credentials.load(settings.account.to_string()).filter(|token| is_token(token.as_bytes())) {
        Some(token) => Ok((token, SignIn::Token)),
        None => Err(SessionError::InvalidConfig { message: "Enter the password for this account.".into() }),
    }
}

/// Calls the observer with each new view, from its own thread, until the session is gone.
/// Views that arrive faster than the observer takes them are coalesced to the latest.
fn notify(mut views: watch::Receiver<ViewModel>, observer: Arc<dyn ViewObserver>, closed: Arc<AtomicBool>) {
    views.mark_changed();
    let spawned = std::thread::Builder::new().name("bank-core-views".into()).spawn(move || {
        while runtime().block_on(views.changed()).is_ok() {
            let view = views.borrow_and_update().clone();
            if closed.load(Ordering::Acquire) {
                return;
            }
            // An observer that throws must not end the deliveries that follow.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| observer.on_view(view)));
        }
    });
    spawned.expect("the OS refused to start the core's view thread");
}

/// One runtime for every session in the process, never dropped, so no session's end can
/// shut down another's I/O, and no drop can happen inside an async context.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bank-core")
            .enable_all()
            .build()
            .expect("the OS refused to start the core's threads")
    })
}
