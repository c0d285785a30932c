//! A device for tests and benchmarks: a bank-core session whose every view is kept, and
//! helpers to wait for the view one needs.

use std::sync::Arc;

use bank_core::app::{ConnectionState, ViewModel};
use bank_core::session::{FileCredentialStore, Session, SessionConfig, ViewObserver};
use tempfile::TempDir;
use tokio::sync::mpsc;

use crate::harness::WAIT;

/// A device: a session, and every view it has produced.
pub struct Device {
    pub session: Session,
    views: mpsc::UnboundedReceiver<ViewModel>,
    pub latest: ViewModel,
}

pub struct Forward(pub mpsc::UnboundedSender<ViewModel>);

impl ViewObserver for Forward {
    fn on_view(&self, view: ViewModel) {
        let _ = self.0.send(view);
    }
}

pub fn config(port: u16, account: &str, storage: &TempDir) -> SessionConfig {
    SessionConfig {
        host: "127.0.0.1".into(),
        port,
        tls: false,
        ca_certificate_pem: None,
        account: account.into(),
        password: "demo".into(),
        device_name: format!("test device {account}"),
        keepalive_secs: 5,
        storage_dir: storage.path().display().to_string(),
    }
}

impl Device {
    pub fn open(config: SessionConfig) -> Device {
        let (sender, views) = mpsc::unbounded_channel();
        let credentials = Arc::new(FileCredentialStore::new(&config.storage_dir));
        let session = Session::new(config, Arc::new(Forward(sender)), credentials).expect("session opens");
        let latest = session.view();
        Device { session, views, latest }
    }

    pub async fn online(config: SessionConfig) -> Device {
        let mut device = Device::open(config);
        device.session.connect();
        device.until("online with balance and history", is_current).await;
        device
    }

    /// Waits for a view that satisfies `wanted`, and returns it.
    pub async fn until(&mut self, what: &str, wanted: impl Fn(&ViewModel) -> bool) -> ViewModel {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !wanted(&self.latest) {
            match tokio::time::timeout_at(deadline, self.views.recv()).await {
                Ok(Some(view)) => self.latest = view,
                _ => panic!("no view {what} within {WAIT:?}; last view: {:#?}", self.latest),
            }
        }
        self.latest.clone()
    }
}

pub fn is_current(view: &ViewModel) -> bool {
    view.connection == ConnectionState::Online && view.balance_known && !view.history_loading
}
