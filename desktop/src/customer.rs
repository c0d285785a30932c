//! The customer's screens: one [`Session`] of the shared core, whose views reach the
//! window as `view` events. Everything shown is the core's view model as it is.

use std::path::PathBuf;
use std::sync::Arc;

use bank_core::app::ViewModel;
use bank_core::session::{FileCredentialStore, Session, ViewObserver, login_config};
use tauri::{AppHandle, Emitter};

/// The event the window listens to for the customer's view model.
pub const VIEW_EVENT: &str = "view";

struct Window(AppHandle);

impl ViewObserver for Window {
    fn on_view(&self, view: ViewModel) {
        // The window may be closing; the next view will try again.
        let _ = self.0.emit(VIEW_EVENT, view);
    }
}

pub fn sign_in(
    app: &AppHandle,
    storage: PathBuf,
    broker: &str,
    account: &str,
    password: &str,
) -> Result<Session, String> {
    let storage = storage.to_str().ok_or("The app's data directory is not valid UTF-8; set BANK_DESKTOP_DATA_DIR.")?;
    let config = login_config(broker, account, password, &device_name(), storage).map_err(|error| error.to_string())?;
    let credentials = Arc::new(FileCredentialStore::new(storage));
    let session =
        Session::new(config, Arc::new(Window(app.clone())), credentials).map_err(|error| error.to_string())?;
    session.connect();
    Ok(session)
}

/// `Desktop (laptop-name)`: what this account's other devices list.
fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").ok().or_else(|| std::env::var("HOSTNAME").ok());
    match host.map(|host| host.trim().to_string()).filter(|host| !host.is_empty()) {
        Some(host) => format!("Desktop ({host})"),
        None => "Desktop".into(),
    }
}
