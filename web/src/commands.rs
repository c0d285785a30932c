//! What each command does to a browser's hosted sessions: the same commands the desktop
//! app's window invokes over Tauri, with the same answers.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bank_core::app::{ConnectionState, ViewModel};
use bank_core::session::{FileCredentialStore, Operator, Session, SessionConfig};
use serde_json::{Value, json};

use crate::device::{Device, forget_if_unused};
use crate::frames::{Command, TransferFields};
use crate::gateway::{Gateway, Seat};

/// How long a sign-in waits to hear whether the broker took the password. A broker that
/// does not answer by then is shown as the session's own "connecting" state.
const SIGN_IN_WAIT: Duration = Duration::from_secs(10);
const KEEPALIVE_SECS: u32 = 20;

/// Who sent a command: the browser's address (for throttling) and its name for others.
pub struct Caller {
    pub address: IpAddr,
    pub device_name: String,
}

pub async fn run(gateway: &Gateway, device: &Arc<Device>, caller: &Caller, command: Command) -> Result<Value, String> {
    match command {
        Command::SignIn { account, password } => sign_in(gateway, device, caller, &account, &password).await,
        Command::SignOut => {
            if let Some(session) = device.take_customer() {
                // Revokes this browser's token and says goodbye; the session ends on drop.
                session.sign_out();
            }
            Ok(Value::Null)
        }
        Command::EditTransfer(TransferFields { payee, amount, memo }) => {
            customer(device, |session| session.edit_transfer(&payee, &amount, &memo)).map(|()| Value::Null)
        }
        Command::Transfer(TransferFields { payee, amount, memo }) => {
            let queued = customer(device, |session| session.transfer(&payee, &amount, &memo))?;
            Ok(json!(queued.map_err(|error| error.to_string())?.is_some()))
        }
        Command::LoadMoreHistory => customer(device, Session::load_more_history).map(|()| Value::Null),
        Command::OperatorSignIn { password } => operator_sign_in(gateway, device, caller, &password).await,
        Command::OperatorSignOut => {
            drop(device.take_operator());
            Ok(Value::Null)
        }
        Command::ChannelsSort { column } => operator(device, |operator| operator.sort_channels(&column)),
        Command::ChannelsFilter { text } => operator(device, |operator| operator.filter_channels(&text)),
    }
}

fn operator(device: &Device, act: impl FnOnce(&Operator)) -> Result<Value, String> {
    device.with_operator(act).map(|()| Value::Null).ok_or_else(|| "The explorer is closed. Open it again.".into())
}

fn customer<T>(device: &Device, act: impl FnOnce(&Session) -> T) -> Result<T, String> {
    device.with_customer(act).ok_or_else(|| "You are signed out. Sign in again to continue.".into())
}

fn throttled(gateway: &Gateway, caller: &Caller) -> Result<(), String> {
    gateway.throttle.check(caller.address, Instant::now()).map_err(|wait| {
        format!("Too many failed sign-ins from your network. Wait {} s, then try again.", wait.as_secs().max(1))
    })
}

fn room<'a>(gateway: &'a Gateway, device: &Device) -> Result<Seat<'a>, String> {
    gateway.seat(device).ok_or_else(|| {
        format!(
            "This server already hosts {} signed-in browsers, its most. Try again later, or use the app.",
            gateway.settings.devices_max
        )
    })
}

async fn sign_in(
    gateway: &Gateway,
    device: &Arc<Device>,
    caller: &Caller,
    account: &str,
    password: &str,
) -> Result<Value, String> {
    throttled(gateway, caller)?;
    if password.is_empty() {
        return Err("Enter the password for this account.".into());
    }
    let _seat = room(gateway, device)?;
    // The old session releases the storage before the new one opens it.
    drop(device.take_customer());
    let session = open(gateway, device, account, password, &caller.device_name)?;
    session.connect();
    let view = outcome(&session).await;
    if view.connection == ConnectionState::LoginFailed {
        drop(session);
        forget_if_unused(&device.dir);
        gateway.throttle.failed(caller.address, Instant::now());
        return Err(view.connection_text);
    }
    device.install_customer(session);
    Ok(json!(view))
}

/// Opens a session of `device`; an empty password signs in with its stored token.
pub fn open(
    gateway: &Gateway,
    device: &Device,
    account: &str,
    password: &str,
    device_name: &str,
) -> Result<Session, String> {
    let broker = &gateway.settings.broker;
    let storage_dir = device.dir.to_str().ok_or("The data directory's path is not valid UTF-8.")?.to_string();
    let config = SessionConfig {
        host: broker.host.clone(),
        port: broker.port,
        tls: broker.tls,
        ca_certificate_pem: None,
        account: account.into(),
        password: password.into(),
        device_name: device_name.into(),
        keepalive_secs: KEEPALIVE_SECS,
        storage_dir: storage_dir.clone(),
    };
    let credentials = Arc::new(FileCredentialStore::new(storage_dir));
    Session::open(config, credentials).map_err(|error| error.to_string())
}

/// The view once the broker has taken or refused the login, or after [`SIGN_IN_WAIT`].
async fn outcome(session: &Session) -> ViewModel {
    let mut views = session.views();
    let settled = |view: &ViewModel| matches!(view.connection, ConnectionState::Online | ConnectionState::LoginFailed);
    let _ = tokio::time::timeout(SIGN_IN_WAIT, views.wait_for(settled)).await;
    session.view()
}

/// A browser that comes back after its session ended (a restart, a long absence) signs
/// in again with the token it earned, as an installed app would.
pub fn resume(gateway: &Gateway, device: &Arc<Device>, device_name: &str) {
    if device.hosts_a_session() {
        return;
    }
    let Ok(_seat) = room(gateway, device) else { return };
    let Some(account) = device.last_account() else { return };
    let Ok(session) = open(gateway, device, &account, "", device_name) else { return };
    session.connect();
    device.install_customer(session);
}

async fn operator_sign_in(
    gateway: &Gateway,
    device: &Arc<Device>,
    caller: &Caller,
    password: &str,
) -> Result<Value, String> {
    throttled(gateway, caller)?;
    let _seat = room(gateway, device)?;
    drop(device.take_operator());
    let broker = &gateway.settings.broker;
    let operator = Operator::connect(&broker.host, broker.port, broker.tls, password, device.operator_shower())?;
    let mut views = device.operator.subscribe();
    let settled = |view: &Option<bank_core::explorer::OperatorView>| {
        view.as_ref()
            .is_some_and(|view| matches!(view.connection, ConnectionState::Online | ConnectionState::LoginFailed))
    };
    let _ = tokio::time::timeout(SIGN_IN_WAIT, views.wait_for(settled)).await;
    let view = operator.view();
    if view.connection == ConnectionState::LoginFailed {
        drop(operator);
        device.operator.send_replace(None);
        gateway.throttle.failed(caller.address, Instant::now());
        return Err(view.connection_text);
    }
    device.install_operator(operator);
    Ok(json!(view))
}
