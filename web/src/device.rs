//! One browser, as the gateway hosts it: the core sessions it signed in (a customer's,
//! the operator's explorer, or both), the views its sockets push, and its storage
//! directory. It outlives its sockets by a grace period, so a reload or a short drop
//! loses nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use bank_core::app::{ConnectionState, ViewModel};
use bank_core::explorer::OperatorView;
use bank_core::session::{Operator, Session};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// The cookie that names a browser. Its value is a secret: it resumes a signed-in session.
pub const COOKIE: &str = "bank_device";
const SECRET_BYTES: usize = 32;
const LAST_ACCOUNT_FILE: &str = "last-account";

/// A browser, by the SHA-256 of its cookie: the map and the directory names never hold
/// a secret that would resume a session.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct DeviceKey([u8; 32]);

impl DeviceKey {
    /// A fresh cookie value: 256 random bits, in hex.
    pub fn new_secret() -> String {
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret).expect("the OS has no source of randomness");
        hex::encode(secret)
    }

    /// The key of a well-formed cookie value; anything else is no key at all.
    pub fn from_secret(secret: &str) -> Option<DeviceKey> {
        let bytes = hex::decode(secret).ok().filter(|bytes| bytes.len() == SECRET_BYTES)?;
        Some(DeviceKey(Sha256::digest(bytes).into()))
    }

    /// From a request's `Cookie` header values.
    pub fn from_cookies<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<DeviceKey> {
        headers
            .into_iter()
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .and_then(|(_, value)| DeviceKey::from_secret(value))
    }

    pub fn dir_name(&self) -> String {
        hex::encode(&self.0[..16])
    }
}

/// Which sessions a browser has, and which of them the sockets show.
pub struct Device {
    pub dir: PathBuf,
    hosting: Mutex<Hosting>,
    /// `None` when signed out; sockets push a `view` or a `session` event on each change.
    pub customer: watch::Sender<Option<ViewModel>>,
    pub operator: watch::Sender<Option<OperatorView>>,
}

#[derive(Default)]
struct Hosting {
    customer: Option<Session>,
    operator: Option<Operator>,
    /// Counts installs, so a view from a replaced session changes nothing.
    generation: u64,
    sockets: usize,
    detached_at: Option<Instant>,
    /// Why the last session ended when the browser did not ask it to.
    ended: Option<String>,
}

impl Device {
    pub fn new(dir: PathBuf) -> Device {
        Device {
            dir,
            hosting: Mutex::default(),
            customer: watch::Sender::new(None),
            operator: watch::Sender::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Hosting> {
        self.hosting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn hosts_a_session(&self) -> bool {
        let hosting = self.lock();
        hosting.customer.is_some() || hosting.operator.is_some()
    }

    pub fn with_customer<T>(&self, act: impl FnOnce(&Session) -> T) -> Option<T> {
        self.lock().customer.as_ref().map(act)
    }

    /// Shows `session` from now on; its views flow to the sockets until it is replaced.
    pub fn install_customer(self: &Arc<Self>, session: Session) {
        let mut views = session.views();
        let generation = {
            let mut hosting = self.lock();
            hosting.generation += 1;
            hosting.ended = None;
            self.customer.send_replace(Some(session.view()));
            hosting.customer = Some(session);
            hosting.generation
        };
        let device = Arc::downgrade(self);
        tokio::spawn(async move {
            while views.changed().await.is_ok() {
                let view = views.borrow_and_update().clone();
                let Some(device) = device.upgrade() else { return };
                device.on_customer_view(generation, view);
            }
        });
        let _ = std::fs::write(self.dir.join(LAST_ACCOUNT_FILE), self.customer_account().unwrap_or_default());
    }

    /// A refused login (a revoked token, a changed password) ends the hosted session:
    /// the page goes back to the sign-in card with the reason.
    fn on_customer_view(&self, generation: u64, view: ViewModel) {
        let mut hosting = self.lock();
        if hosting.generation != generation {
            return;
        }
        if view.connection == ConnectionState::LoginFailed {
            hosting.customer = None;
            hosting.ended = Some(view.connection_text);
            self.customer.send_replace(None);
        } else {
            self.customer.send_replace(Some(view));
        }
    }

    /// Ends the customer's session; `None` when there was none.
    pub fn take_customer(&self) -> Option<Session> {
        let mut hosting = self.lock();
        hosting.generation += 1;
        self.customer.send_replace(None);
        hosting.customer.take()
    }

    pub fn customer_account(&self) -> Option<String> {
        self.customer.borrow().as_ref().map(|view| view.account.clone())
    }

    pub fn install_operator(&self, operator: Operator) {
        self.operator.send_replace(Some(operator.view()));
        self.lock().operator = Some(operator);
    }

    /// The view an operator's `show` callback reports, until this operator is replaced.
    pub fn operator_shower(self: &Arc<Self>) -> impl Fn(OperatorView) + Send + 'static {
        let device: Weak<Device> = Arc::downgrade(self);
        move |view| {
            if let Some(device) = device.upgrade() {
                device.operator.send_replace(Some(view));
            }
        }
    }

    pub fn with_operator<T>(&self, act: impl FnOnce(&Operator) -> T) -> Option<T> {
        self.lock().operator.as_ref().map(act)
    }

    pub fn take_operator(&self) -> Option<Operator> {
        self.operator.send_replace(None);
        self.lock().operator.take()
    }

    /// What a socket shows when it attaches, and after a session ends.
    pub fn snapshot(&self) -> serde_json::Value {
        let ended = self.lock().ended.clone();
        serde_json::json!({
            "customer": *self.customer.borrow(),
            "operator": *self.operator.borrow(),
            "account": self.last_account(),
            "message": ended,
        })
    }

    pub fn last_account(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(LAST_ACCOUNT_FILE)).ok()?;
        bank_core::protocol::AccountId::parse(text.trim()).map(|account| account.to_string())
    }

    pub fn attach(&self) -> usize {
        let mut hosting = self.lock();
        hosting.sockets += 1;
        hosting.detached_at = None;
        hosting.sockets
    }

    pub fn detach(&self, now: Instant) {
        let mut hosting = self.lock();
        hosting.sockets -= 1;
        if hosting.sockets == 0 {
            hosting.detached_at = Some(now);
        }
    }

    /// No socket, and either nothing hosted or no socket for longer than `grace`.
    pub fn is_abandoned(&self, now: Instant, grace: std::time::Duration) -> bool {
        let hosting = self.lock();
        let idle = hosting.customer.is_none() && hosting.operator.is_none();
        hosting.sockets == 0 && (idle || hosting.detached_at.is_some_and(|at| now.duration_since(at) >= grace))
    }

    /// Ends everything hosted; called when the device is dropped from the gateway.
    pub fn end(&self) {
        drop(self.take_customer());
        drop(self.take_operator());
    }
}

/// The directory of a device whose sign-in failed before it ever held a token.
pub fn forget_if_unused(dir: &Path) {
    let has_token = std::fs::read_dir(dir.join("accounts"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|account| account.path().join("device-token").exists() || account.path().join("outbox.json").exists());
    if !has_token && !dir.join(LAST_ACCOUNT_FILE).exists() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_name_a_device_only_when_well_formed() {
        let secret = DeviceKey::new_secret();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, DeviceKey::new_secret());
        let key = DeviceKey::from_secret(&secret).unwrap();
        let header = format!("theme=dark; {COOKIE}={secret}; other=1");
        assert_eq!(DeviceKey::from_cookies(["a=b", header.as_str()]), Some(key));
        assert!(!key.dir_name().contains(&secret[..32]), "the directory name does not reveal the secret");
        for bad in ["", "abc", &secret[..62], &format!("{secret}00"), &"zz".repeat(32)] {
            assert_eq!(DeviceKey::from_secret(bad), None, "{bad:?}");
        }
        assert_eq!(DeviceKey::from_cookies([format!("x{COOKIE}={secret}").as_str()]), None);
    }
}
