//! The WebSocket's frames, decoded in one place. Every frame is untrusted: whatever a
//! browser (or anything pretending to be one) sends gets a specific error back, and the
//! session behind the socket is untouched by a bad frame.
//!
//! In: `{"id": 7, "command": "transfer", "args": {...}}`.
//! Out: `{"id": 7, "ok": ...}`, `{"id": 7, "error": "..."}`, `{"event": "view", "payload": ...}`,
//! or `{"error": "..."}` for a frame too broken to have an id.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The largest frame the gateway reads; the biggest real one (a sign-in) is well under 1 KiB.
pub const FRAME_BYTES_MAX: usize = 64 * 1024;

#[derive(Debug, PartialEq)]
pub enum Command {
    SignIn { account: String, password: String },
    SignOut,
    EditTransfer(TransferFields),
    Transfer(TransferFields),
    LoadMoreHistory,
    OperatorSignIn { password: String },
    OperatorSignOut,
    ChannelsSort { column: String },
    ChannelsFilter { text: String },
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct TransferFields {
    pub payee: String,
    pub amount: String,
    pub memo: String,
}

/// The page sends the broker field in every shell; a browser's broker is the gateway's.
#[derive(Deserialize)]
struct SignInArgs {
    account: String,
    password: String,
}

#[derive(Deserialize)]
struct OperatorSignInArgs {
    password: String,
}

#[derive(Deserialize)]
struct ChannelsSortArgs {
    column: String,
}

#[derive(Deserialize)]
struct ChannelsFilterArgs {
    text: String,
}

const COMMANDS: &str = "sign_in, sign_out, edit_transfer, transfer, load_more_history, operator_sign_in, \
                        operator_sign_out, channels_sort, channels_filter";

#[derive(Debug, PartialEq)]
pub struct Request {
    pub id: u64,
    pub command: Command,
}

/// Why a frame was refused, and the id to answer to when it had one.
#[derive(Debug, PartialEq)]
pub struct Refused {
    pub id: Option<u64>,
    pub error: String,
}

impl Request {
    pub fn parse(text: &str) -> Result<Request, Refused> {
        let refused = |id, error: String| Refused { id, error };
        if text.len() > FRAME_BYTES_MAX {
            return Err(refused(None, too_big(text.len())));
        }
        let frame: Value = serde_json::from_str(text)
            .map_err(|error| refused(None, format!("The frame is not JSON ({error}); reload the page.")))?;
        let id = frame.get("id").and_then(Value::as_u64);
        let Some(id) = id else {
            return Err(refused(None, "The frame has no numeric \"id\"; reload the page.".into()));
        };
        let Some(name) = frame.get("command").and_then(Value::as_str) else {
            return Err(refused(Some(id), "The frame has no \"command\"; reload the page.".into()));
        };
        let args = frame.get("args").cloned().unwrap_or(Value::Object(Default::default()));
        let command = Command::decode(name, args).map_err(|error| refused(Some(id), error))?;
        Ok(Request { id, command })
    }
}

impl Command {
    fn decode(name: &str, args: Value) -> Result<Command, String> {
        Ok(match name {
            "sign_in" => {
                let SignInArgs { account, password } = decode_args(name, args)?;
                Command::SignIn { account, password }
            }
            "sign_out" => Command::SignOut,
            "edit_transfer" => Command::EditTransfer(decode_args(name, args)?),
            "transfer" => Command::Transfer(decode_args(name, args)?),
            "load_more_history" => Command::LoadMoreHistory,
            "operator_sign_in" => {
                Command::OperatorSignIn { password: decode_args::<OperatorSignInArgs>(name, args)?.password }
            }
            "operator_sign_out" => Command::OperatorSignOut,
            "channels_sort" => Command::ChannelsSort { column: decode_args::<ChannelsSortArgs>(name, args)?.column },
            "channels_filter" => Command::ChannelsFilter { text: decode_args::<ChannelsFilterArgs>(name, args)?.text },
            _ => {
                return Err(format!(
                    "Unknown command {:?}; this server knows {COMMANDS}. Reload the page.",
                    truncated(name)
                ));
            }
        })
    }
}

fn decode_args<T: DeserializeOwned>(name: &str, args: Value) -> Result<T, String> {
    serde_json::from_value(args)
        .map_err(|error| format!("The arguments of {name} are wrong ({error}); reload the page."))
}

fn truncated(text: &str) -> String {
    text.chars().take(40).collect()
}

pub fn too_big(bytes: usize) -> String {
    format!("The frame of {bytes} bytes is over the {} KiB limit; nothing was done.", FRAME_BYTES_MAX / 1024)
}

pub fn answer(id: u64, outcome: Result<Value, String>) -> String {
    match outcome {
        Ok(value) => json!({ "id": id, "ok": value }),
        Err(error) => json!({ "id": id, "error": error }),
    }
    .to_string()
}

pub fn event(name: &str, payload: impl serde::Serialize) -> String {
    json!({ "event": name, "payload": payload }).to_string()
}

pub fn refusal(refused: &Refused) -> String {
    match refused.id {
        Some(id) => answer(id, Err(refused.error.clone())),
        None => json!({ "error": refused.error }).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> Refused {
        Request::parse(text).unwrap_err()
    }

    #[test]
    fn every_command_decodes() {
        let transfer = r#"{"id":3,"command":"transfer","args":{"payee":"00002","amount":"5.00","memo":""}}"#;
        let fields = TransferFields { payee: "00002".into(), amount: "5.00".into(), memo: String::new() };
        assert_eq!(Request::parse(transfer).unwrap(), Request { id: 3, command: Command::Transfer(fields) });
        let sign_in = r#"{"id":1,"command":"sign_in","args":{"broker":"x","account":"00001","password":"demo"}}"#;
        assert_eq!(
            Request::parse(sign_in).unwrap().command,
            Command::SignIn { account: "00001".into(), password: "demo".into() }
        );
        assert_eq!(Request::parse(r#"{"id":2,"command":"sign_out","args":{}}"#).unwrap().command, Command::SignOut);
        assert_eq!(
            Request::parse(r#"{"id":2,"command":"load_more_history"}"#).unwrap().command,
            Command::LoadMoreHistory
        );
        assert_eq!(
            Request::parse(r#"{"id":8,"command":"channels_sort","args":{"column":"messages_sent"}}"#).unwrap().command,
            Command::ChannelsSort { column: "messages_sent".into() }
        );
        assert_eq!(
            Request::parse(r#"{"id":9,"command":"channels_filter","args":{"text":"0001"}}"#).unwrap().command,
            Command::ChannelsFilter { text: "0001".into() }
        );
    }

    #[test]
    fn bad_frames_get_specific_errors() {
        assert!(error_of("not json").error.contains("not JSON"));
        assert_eq!(error_of(r#"{"command":"sign_out"}"#).id, None);
        assert!(error_of(r#"{"id":-1,"command":"sign_out"}"#).error.contains("numeric \"id\""));
        let unknown = error_of(r#"{"id":4,"command":"drop_tables"}"#);
        assert_eq!(unknown.id, Some(4));
        assert!(unknown.error.contains("Unknown command \"drop_tables\"") && unknown.error.contains("transfer"));
        let args = error_of(r#"{"id":5,"command":"transfer","args":{"payee":1}}"#);
        assert!(args.error.contains("arguments of transfer"), "{}", args.error);
        let big = format!(r#"{{"id":6,"command":"sign_out","pad":"{}"}}"#, "x".repeat(FRAME_BYTES_MAX));
        assert!(error_of(&big).error.contains("over the 64 KiB limit"));
    }
}
