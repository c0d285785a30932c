//! Decoding of requests from devices. Every byte here is untrusted: each function
//! returns either a fully valid request or a [`BadRequest`] that names what was wrong.

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{AccountId, Amount, HistoryRequest, Reason};

/// Larger payloads are rejected unread.
pub const PAYLOAD_BYTES_MAX: usize = 64 * 1024;
/// Memo length in Unicode characters.
pub const MEMO_CHARS_MAX: usize = 140;
pub const HISTORY_LIMIT_DEFAULT: u32 = 50;
/// Larger limits are served as this many: 50 entries with maximal memos stay under 64 KiB.
pub const HISTORY_LIMIT_MAX: u32 = 50;

/// A valid transfer request. The payer is not in the payload: it is the account in the topic,
/// which the broker's ACL ties to the logged-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferRequest {
    pub id: Uuid,
    pub to: AccountId,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

impl TransferRequest {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a transfer request always serialises")
    }
}

/// Why a request was refused before it reached the ledger's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRequest {
    /// The request's id, when it could be read.
    pub id: Option<Uuid>,
    pub reason: Reason,
    pub message: String,
}

impl BadRequest {
    fn malformed(id: Option<Uuid>, message: impl Into<String>) -> BadRequest {
        BadRequest { id, reason: Reason::MalformedRequest, message: message.into() }
    }
}

/// Decodes the payload of `bank/transfer/request/{payer}`.
pub fn parse_transfer_request(payer: AccountId, payload: &[u8]) -> Result<TransferRequest, BadRequest> {
    let object = parse_object(payload)?;
    let id = read_id(&object)?;
    let bad = |reason, message: String| BadRequest { id: Some(id), reason, message };
    let to = read_payee(&object).map_err(|(reason, message)| bad(reason, message))?;
    let amount = read_amount(&object).map_err(|(reason, message)| bad(reason, message))?;
    let memo = read_memo(&object).map_err(|message| bad(Reason::MalformedRequest, message))?;
    if to == payer {
        return Err(bad(Reason::SameAccount, format!("account {to} cannot send money to itself")));
    }
    Ok(TransferRequest { id, to, amount, memo })
}

/// Decodes the payload of `bank/history/request/{account}`.
pub fn parse_history_request(payload: &[u8]) -> Result<HistoryRequest, BadRequest> {
    let object = parse_object(payload)?;
    let limit = match object.get("limit") {
        None | Some(Value::Null) => HISTORY_LIMIT_DEFAULT,
        Some(value) => match value.as_u64() {
            Some(limit) if limit > 0 => limit.min(u64::from(HISTORY_LIMIT_MAX)) as u32,
            _ => {
                return Err(BadRequest::malformed(
                    None,
                    format!("`limit` must be a whole number from 1 to {HISTORY_LIMIT_MAX}"),
                ));
            }
        },
    };
    let before_version = match object.get("before_version") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(version) => Some(version),
            None => {
                return Err(BadRequest::malformed(None, "`before_version` must be a whole number or null"));
            }
        },
    };
    Ok(HistoryRequest { limit, before_version })
}

fn parse_object(payload: &[u8]) -> Result<Map<String, Value>, BadRequest> {
    if payload.len() > PAYLOAD_BYTES_MAX {
        let message = format!("payload is {} bytes; the limit is {PAYLOAD_BYTES_MAX}", payload.len());
        return Err(BadRequest::malformed(None, message));
    }
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(BadRequest::malformed(None, "payload must be a JSON object")),
        Err(error) => Err(BadRequest::malformed(None, format!("payload is not valid JSON: {error}"))),
    }
}

fn read_id(object: &Map<String, Value>) -> Result<Uuid, BadRequest> {
    let message = match object.get("id") {
        Some(Value::String(text)) => match Uuid::parse_str(text) {
            Ok(id) => return Ok(id),
            Err(_) => format!("`id` {text:?} is not a UUID"),
        },
        Some(_) => "`id` must be a UUID string".to_string(),
        None => "`id` is missing; every transfer needs a UUID chosen by the device".to_string(),
    };
    Err(BadRequest::malformed(None, message))
}

fn read_payee(object: &Map<String, Value>) -> Result<AccountId, (Reason, String)> {
    match object.get("to") {
        Some(Value::String(text)) => AccountId::parse(text).ok_or_else(|| {
            let message = format!("payee {text:?} is not an account number; account numbers are 5 digits");
            (Reason::UnknownAccount, message)
        }),
        Some(_) => Err((Reason::MalformedRequest, "`to` must be a string of 5 digits, like \"00002\"".into())),
        None => Err((Reason::MalformedRequest, "`to` is missing".into())),
    }
}

fn read_amount(object: &Map<String, Value>) -> Result<Amount, (Reason, String)> {
    match object.get("amount") {
        Some(Value::String(text)) => {
            Amount::parse_transfer(text).map_err(|error| (Reason::InvalidAmount, format!("amount {text:?}: {error}")))
        }
        Some(_) => Err((Reason::InvalidAmount, "amount must be a string like \"5.00\", not a JSON number".into())),
        None => Err((Reason::MalformedRequest, "`amount` is missing".into())),
    }
}

fn read_memo(object: &Map<String, Value>) -> Result<Option<String>, String> {
    let memo = match object.get("memo") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(memo)) => memo,
        Some(_) => return Err("`memo` must be a string".into()),
    };
    check_memo(memo)?;
    Ok((!memo.is_empty()).then(|| memo.clone()))
}

/// The memo rules, shared by the ledger and the app's transfer form.
pub fn check_memo(memo: &str) -> Result<(), String> {
    let chars = memo.chars().count();
    if chars > MEMO_CHARS_MAX {
        return Err(format!("memo is {chars} characters; the limit is {MEMO_CHARS_MAX}"));
    }
    if memo.chars().any(char::is_control) {
        return Err("memo must not contain control characters such as line breaks".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "0193a7c4-5b6e-7c3d-8f21-4a5b6c7d8e9f";

    fn payer() -> AccountId {
        AccountId::parse("00001").unwrap()
    }

    fn parse(value: Value) -> Result<TransferRequest, BadRequest> {
        parse_transfer_request(payer(), value.to_string().as_bytes())
    }

    #[test]
    fn parses_a_valid_request() {
        let request = parse(json!({"id": ID, "to": "00002", "amount": "5", "memo": "lunch"})).unwrap();
        assert_eq!(request.id.to_string(), ID);
        assert_eq!(request.to.as_str(), "00002");
        assert_eq!(request.amount.cents(), 500);
        assert_eq!(request.memo.as_deref(), Some("lunch"));
        let round_trip = parse_transfer_request(payer(), &request.to_json()).unwrap();
        assert_eq!(round_trip, request);
    }

    #[test]
    fn unreadable_ids_give_malformed_with_null_id() {
        for payload in [&b"not json"[..], b"[1,2]", b"\"x\"", b"{}", br#"{"id":5}"#, br#"{"id":"nope"}"#] {
            let error = parse_transfer_request(payer(), payload).unwrap_err();
            assert_eq!((error.id, error.reason), (None, Reason::MalformedRequest), "{payload:?}");
        }
        let huge = format!(r#"{{"id":"{ID}","memo":"{}"}}"#, "x".repeat(PAYLOAD_BYTES_MAX));
        let error = parse_transfer_request(payer(), huge.as_bytes()).unwrap_err();
        assert_eq!((error.id, error.reason), (None, Reason::MalformedRequest));
    }

    #[test]
    fn each_bad_field_has_its_reason_and_keeps_the_id() {
        let cases = [
            (json!({"id": ID, "amount": "5"}), Reason::MalformedRequest),
            (json!({"id": ID, "to": 2, "amount": "5"}), Reason::MalformedRequest),
            (json!({"id": ID, "to": "2", "amount": "5"}), Reason::UnknownAccount),
            (json!({"id": ID, "to": "00002"}), Reason::MalformedRequest),
            (json!({"id": ID, "to": "00002", "amount": 5}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": 5.5}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "0"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "-1"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "1.001"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "1e3"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "abc"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "1000000.01"}), Reason::InvalidAmount),
            (json!({"id": ID, "to": "00002", "amount": "5", "memo": 7}), Reason::MalformedRequest),
            (json!({"id": ID, "to": "00002", "amount": "5", "memo": "x".repeat(141)}), Reason::MalformedRequest),
            (json!({"id": ID, "to": "00002", "amount": "5", "memo": "a\nb"}), Reason::MalformedRequest),
            (json!({"id": ID, "to": "00001", "amount": "5"}), Reason::SameAccount),
        ];
        for (payload, expected) in cases {
            let error = parse(payload.clone()).unwrap_err();
            assert_eq!(error.reason, expected, "{payload}");
            assert_eq!(error.id.map(|id| id.to_string()).as_deref(), Some(ID), "{payload}");
            assert!(!error.message.is_empty());
        }
        let long_memo = json!({"id": ID, "to": "00002", "amount": "5", "memo": "é".repeat(MEMO_CHARS_MAX)});
        assert!(parse(long_memo).is_ok(), "the limit counts characters, not bytes");
    }

    const JSON_BYTES: &[u8] = b"{}[]\":,.-0e9\\u";

    /// Random and mutated payloads: every one is decoded or refused with a message, none panics.
    #[test]
    fn arbitrary_bytes_never_panic() {
        let valid = json!({"id": ID, "to": "00002", "amount": "5.00", "memo": "lunch"}).to_string().into_bytes();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..20_000 {
            let mut payload = if round % 2 == 0 { valid.clone() } else { vec![0; (next() % 64) as usize] };
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % payload.len().max(1);
                match next() % 3 {
                    0 if !payload.is_empty() => payload[at] = next() as u8,
                    1 if !payload.is_empty() => payload.truncate(at),
                    _ => payload.insert(at.min(payload.len()), JSON_BYTES[(next() as usize) % JSON_BYTES.len()]),
                }
            }
            if let Err(bad) = parse_transfer_request(payer(), &payload) {
                assert!(!bad.message.is_empty());
            }
            if let Err(bad) = parse_history_request(&payload) {
                assert!(!bad.message.is_empty());
            }
        }
    }

    #[test]
    fn history_requests_default_clamp_and_reject() {
        assert_eq!(parse_history_request(b"{}").unwrap(), HistoryRequest { limit: 50, before_version: None });
        let request = parse_history_request(br#"{"limit":1000,"before_version":9}"#).unwrap();
        assert_eq!(request, HistoryRequest { limit: HISTORY_LIMIT_MAX, before_version: Some(9) });
        for bad in [&b"{\"limit\":0}"[..], b"{\"limit\":-1}", b"{\"limit\":\"5\"}", b"{\"before_version\":-2}", b"[]"] {
            assert_eq!(parse_history_request(bad).unwrap_err().reason, Reason::MalformedRequest);
        }
    }
}
