//! The MQTT Banking wire protocol, documented for humans in `docs/protocol.md`.
//!
//! Everything here is pure: no I/O, no clocks. Untrusted bytes enter through
//! [`parse_transfer_request`] and [`parse_history_request`], which never panic and
//! say precisely what was wrong.

mod account;
mod amount;
mod channels;
mod messages;
mod reason;
mod request;
mod time;
mod token;
pub mod topics;

pub use topics::{Topic, filter_within, is_device_id};

pub use account::AccountId;
pub use amount::{Amount, AmountError};
pub use channels::{
    BrokerStatus, ChannelStatus, ChannelTotals, ClientChannel, DisconnectReason, ListenerProtocol, ListenerStatus,
};
pub use messages::{
    AppliedTransfer, BalanceUpdate, Direction, Entry, HistoryEntry, HistoryRequest, HistoryResult, Online, Presence,
    TransferFeed, TransferResult,
};
pub use reason::Reason;
pub use request::{
    BadRequest, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX, MEMO_CHARS_MAX, PAYLOAD_BYTES_MAX, TransferRequest,
    check_memo, parse_history_request, parse_transfer_request,
};
pub use time::Timestamp;
pub use token::{DEVICE_NAME_CHARS_MAX, TOKEN_PREFIX, TokenIssue, TokenResult, TokenRevoke, is_token};
