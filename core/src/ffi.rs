//! The UniFFI adapter: what Kotlin and Swift see. It only forwards to [`Session`]; the
//! records it passes are the app's own view model and the session's config and error.
//! The surface is synchronous, so Kotlin needs nothing beyond JNA.

use std::sync::Arc;

use crate::app::ViewModel;
use crate::session::{self, CredentialStore, Session, SessionConfig, SessionError, ViewObserver};

#[derive(uniffi::Object)]
pub struct BankSession {
    session: Session,
}

#[uniffi::export]
impl BankSession {
    /// Opens the storage directory and loads the outbox. Does not connect yet. The device
    /// keeps its token in `credentials` (the Keystore or the Keychain), so after the first
    /// sign-in the app need not keep the password: pass an empty one to use the token.
    #[uniffi::constructor]
    pub fn new(
        config: SessionConfig,
        observer: Arc<dyn ViewObserver>,
        credentials: Arc<dyn CredentialStore>,
    ) -> Result<Arc<BankSession>, SessionError> {
        Ok(Arc::new(BankSession { session: Session::new(config, observer, credentials)? }))
    }

    pub fn connect(&self) {
        self.session.connect();
    }

    pub fn disconnect(&self) {
        self.session.disconnect();
    }

    pub fn edit_transfer(&self, payee: String, amount: String, memo: String) {
        self.session.edit_transfer(&payee, &amount, &memo);
    }

    /// The new transfer's id, or `None` when it was not queued: the form has errors or the
    /// outbox is full, and the view says which.
    pub fn transfer(&self, payee: String, amount: String, memo: String) -> Result<Option<String>, SessionError> {
        Ok(self.session.transfer(&payee, &amount, &memo)?.map(|id| id.to_string()))
    }

    pub fn load_more_history(&self) {
        self.session.load_more_history();
    }

    /// Ends the token of another device of this account; it must sign in with the password again.
    pub fn revoke_device(&self, device: String) {
        self.session.revoke_device(&device);
    }

    /// Revokes and forgets this device's token and disconnects.
    pub fn sign_out(&self) {
        self.session.sign_out();
    }

    pub fn view(&self) -> ViewModel {
        self.session.view()
    }
}

/// Reads the login screen's fields into a config for [`BankSession::new`], so no shell
/// parses broker addresses itself. The error's message is for the login screen.
#[uniffi::export]
pub fn login_config(
    broker: String,
    account: String,
    password: String,
    device_name: String,
    storage_dir: String,
) -> Result<SessionConfig, SessionError> {
    session::login_config(&broker, &account, &password, &device_name, &storage_dir)
}

// The sign-in screen's first values: the last broker and account that got online here.
// `//` comments and a name after `login_config`: UniFFI writes a function's doc comment,
// or the first function, on the line of the `}` or `*/` before it, which the tree-sitter
// Kotlin grammar of scripts/syntax-checks.sh cannot parse.
#[uniffi::export]
pub fn remembered_login(storage_dir: String) -> Option<session::LastLogin> {
    session::last_login(&storage_dir)
}

// The config that reopens the last account with this device's token, or `None` when the
// sign-in screen must ask for the password.
#[uniffi::export]
pub fn resume_config(
    storage_dir: String,
    device_name: String,
    credentials: Arc<dyn CredentialStore>,
) -> Option<SessionConfig> {
    session::resume_config(&storage_dir, &device_name, credentials.as_ref())
}
