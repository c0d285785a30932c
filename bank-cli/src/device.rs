//! A bank-core session seen from a terminal: every view arrives on a channel, and the
//! commands wait on it for what they need, within a deadline.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Instant;

use bank_core::app::{ConnectionState, ViewModel};
use bank_core::session::{FileCredentialStore, Session, SessionConfig, SessionError, ViewObserver};

use crate::Failure;

pub struct Device {
    pub session: Session,
    views: Receiver<ViewModel>,
    pub latest: ViewModel,
}

struct Forward(Sender<ViewModel>);

impl ViewObserver for Forward {
    fn on_view(&self, view: ViewModel) {
        let _ = self.0.send(view);
    }
}

impl Device {
    pub fn open(config: SessionConfig) -> Result<Device, SessionError> {
        let (sender, views) = channel();
        // The token `bank` earns with the password lives beside its outbox, readable by its user only.
        let credentials = Arc::new(FileCredentialStore::new(&config.storage_dir));
        let session = Session::new(config, Arc::new(Forward(sender)), credentials)?;
        let latest = session.view();
        Ok(Device { session, views, latest })
    }

    /// Waits for the next view; `None` at the deadline.
    pub fn next(&mut self, deadline: Option<Instant>) -> Option<&ViewModel> {
        let view = match deadline {
            None => self.views.recv().ok()?,
            Some(deadline) => match self.views.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(view) => view,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            },
        };
        self.latest = view;
        Some(&self.latest)
    }

    /// Waits until `ready` holds, failing early on a refused login, and at the deadline
    /// with the connection's own explanation.
    pub fn wait_for(&mut self, deadline: Instant, ready: impl Fn(&ViewModel) -> bool) -> Result<(), Failure> {
        loop {
            if ready(&self.latest) {
                return Ok(());
            }
            if self.latest.connection == ConnectionState::LoginFailed {
                return Err(Failure::login(&self.latest));
            }
            if self.next(Some(deadline)).is_none() {
                return Err(Failure::unreachable(&self.latest));
            }
        }
    }

    /// Connected, with the ledger's balance and the newest history page in hand.
    pub fn wait_until_current(&mut self, deadline: Instant) -> Result<(), Failure> {
        self.session.connect();
        self.wait_for(deadline, |view| {
            view.connection == ConnectionState::Online && view.balance_known && !view.history_loading
        })
    }
}
