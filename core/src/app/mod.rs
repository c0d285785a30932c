//! The app itself, as a pure state machine in the style of Crux: [`Model::update`] turns
//! an [`Event`] into [`Effect`]s, and [`Model::view`] turns the model into the
//! [`ViewModel`] every shell renders. No I/O, no clock, no randomness: the session
//! supplies ids and times inside events and carries out the effects, so all of this is
//! tested without a network.

mod form;
mod format;
mod history;
mod model;
mod notice;
mod outbox;
mod view;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_batched;

pub use format::{group_thousands, money, signed_money, time as local_time};
pub use model::{Connection, Effect, Event, Identity, Model, SignIn};
pub use notice::{Notice, NoticeTone};
pub use outbox::{OUTBOX_MAX, PendingTransfer};
pub use view::{ConnectionState, HistoryRow, RowStatus, SignInPhase, TransferForm, ViewModel};
