//! MQTT Banking for the desktop. The window is plain HTML and JavaScript that renders
//! view models pushed from here as events and sends user actions back as commands; the
//! customer's and the operator's rules and formats all live in `bank-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod customer;
mod utility;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bank_core::app::ViewModel;
use bank_core::explorer::OperatorView;
use bank_core::session::{Operator, Session};
use tauri::{AppHandle, Emitter, Manager, State};

/// The event the window listens to for the operator's view.
const OPERATOR_EVENT: &str = "operator";

/// At most one signed-in customer and one operator explorer per window.
#[derive(Default)]
struct Signed {
    customer: Mutex<Option<Session>>,
    operator: Mutex<Option<Operator>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn not_signed_in() -> String {
    "You are signed out. Sign in again to continue.".into()
}

#[tauri::command]
fn sign_in(
    app: AppHandle,
    signed: State<'_, Signed>,
    broker: String,
    account: String,
    password: String,
) -> Result<ViewModel, String> {
    let mut customer = locked(&signed.customer);
    // The old session releases its storage before the new one opens it.
    customer.take();
    let session = customer::sign_in(&app, storage_dir(&app)?, &broker, &account, &password)?;
    let view = session.view();
    *customer = Some(session);
    Ok(view)
}

#[tauri::command]
fn sign_out(signed: State<'_, Signed>) {
    locked(&signed.customer).take();
}

#[tauri::command]
fn edit_transfer(signed: State<'_, Signed>, payee: String, amount: String, memo: String) -> Result<(), String> {
    let customer = locked(&signed.customer);
    customer.as_ref().ok_or_else(not_signed_in)?.edit_transfer(&payee, &amount, &memo);
    Ok(())
}

/// Whether the transfer was queued; when it was not, the view says why.
#[tauri::command]
fn transfer(signed: State<'_, Signed>, payee: String, amount: String, memo: String) -> Result<bool, String> {
    let customer = locked(&signed.customer);
    let session = customer.as_ref().ok_or_else(not_signed_in)?;
    let queued = session.transfer(&payee, &amount, &memo).map_err(|error| error.to_string())?;
    Ok(queued.is_some())
}

#[tauri::command]
fn load_more_history(signed: State<'_, Signed>) -> Result<(), String> {
    locked(&signed.customer).as_ref().ok_or_else(not_signed_in)?.load_more_history();
    Ok(())
}

#[tauri::command]
fn operator_sign_in(
    app: AppHandle,
    signed: State<'_, Signed>,
    broker: String,
    password: String,
) -> Result<OperatorView, String> {
    let mut operator = locked(&signed.operator);
    operator.take();
    let started = Operator::start(&broker, &password, move |view| {
        let _ = app.emit(OPERATOR_EVENT, view);
    })?;
    let view = started.view();
    *operator = Some(started);
    Ok(view)
}

#[tauri::command]
fn operator_sign_out(signed: State<'_, Signed>) {
    locked(&signed.operator).take();
}

#[tauri::command]
fn channels_sort(signed: State<'_, Signed>, column: String) -> Result<(), String> {
    locked(&signed.operator).as_ref().ok_or_else(explorer_closed)?.sort_channels(&column);
    Ok(())
}

#[tauri::command]
fn channels_filter(signed: State<'_, Signed>, text: String) -> Result<(), String> {
    locked(&signed.operator).as_ref().ok_or_else(explorer_closed)?.filter_channels(&text);
    Ok(())
}

fn explorer_closed() -> String {
    "The explorer is closed. Open it again.".into()
}

/// Where the outbox and device id live; `BANK_DESKTOP_DATA_DIR` gives tests their own.
fn storage_dir(app: &AppHandle) -> Result<PathBuf, String> {
    match std::env::var_os("BANK_DESKTOP_DATA_DIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => {
            app.path().app_data_dir().map_err(|error| format!("Cannot find a data directory for the app ({error})."))
        }
    }
}

fn main() {
    tauri::Builder::default()
        .manage(Signed::default())
        .manage(utility::Utilities::default())
        .invoke_handler(tauri::generate_handler![
            sign_in,
            sign_out,
            edit_transfer,
            transfer,
            load_more_history,
            operator_sign_in,
            operator_sign_out,
            utility::utility_open,
            utility::utility_act,
            utility::utility_export,
            utility::utility_close,
            channels_sort,
            channels_filter
        ])
        .run(tauri::generate_context!())
        .expect("the desktop app could not start its window");
}
