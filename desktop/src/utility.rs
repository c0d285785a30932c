//! The MQTT client utility: one [`UtilitySession`] of the shared core per window, whose
//! views reach the window as `utility` events. The window sends what the person does as
//! the core's [`Action`]s; every rule and word is the core's.

use std::path::PathBuf;
use std::sync::Mutex;

use bank_core::session::UtilitySession;
use bank_core::utility::{Action, ExportFormat, UtilityView};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::locked;

/// The event the window listens to for the utility's view.
const UTILITY_EVENT: &str = "utility";

#[derive(Default)]
pub struct Utilities(Mutex<Option<UtilitySession>>);

fn not_open() -> String {
    "The utility is closed. Open it again from the sign-in screen.".into()
}

/// Opens the utility, or returns to the one already open with its history.
#[tauri::command]
pub fn utility_open(app: AppHandle, utilities: State<'_, Utilities>) -> UtilityView {
    let mut utility = locked(&utilities.0);
    let session = utility.get_or_insert_with(|| {
        UtilitySession::start(UtilitySession::default_client_id(), move |view| {
            let _ = app.emit(UTILITY_EVENT, view);
        })
    });
    session.view()
}

#[tauri::command]
pub fn utility_act(utilities: State<'_, Utilities>, action: Action) -> Result<(), String> {
    locked(&utilities.0).as_ref().ok_or_else(not_open)?.act(action);
    Ok(())
}

/// Saves the history as CSV or JSON; the view says where, or why not.
#[tauri::command]
pub fn utility_export(app: AppHandle, utilities: State<'_, Utilities>, format: ExportFormat) -> Result<(), String> {
    let utility = locked(&utilities.0);
    let session = utility.as_ref().ok_or_else(not_open)?;
    let export = session.export(format);
    let saved = export_dir(&app).and_then(|dir| {
        let path = dir.join(&export.file_name);
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &export.text))
            .map_err(|error| format!("cannot write {} ({error})", path.display()))?;
        Ok(path.display().to_string())
    });
    session.exported(saved, export.rows);
    Ok(())
}

/// Disconnects and forgets the history.
#[tauri::command]
pub fn utility_close(utilities: State<'_, Utilities>) {
    locked(&utilities.0).take();
}

/// The Downloads folder; `BANK_DESKTOP_DATA_DIR` gives tests their own.
fn export_dir(app: &AppHandle) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("BANK_DESKTOP_DATA_DIR") {
        return Ok(PathBuf::from(dir).join("exports"));
    }
    let path = app.path();
    path.download_dir()
        .or_else(|_| path.app_data_dir())
        .map_err(|error| format!("cannot find a Downloads folder ({error})"))
}
