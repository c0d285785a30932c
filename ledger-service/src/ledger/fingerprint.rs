//! Content fingerprints for idempotency: a retry with the same id must also carry
//! the same content, or it is an `id_conflict`.

use bank_protocol::{AccountId, TransferRequest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::store::Fingerprint;

/// Fingerprint of a valid request. Amounts are normalised, so `"5"` and `"5.00"` are equal.
pub fn of_request(payer: AccountId, request: &TransferRequest) -> Fingerprint {
    digest(&json!(["ok", payer, request.to, request.amount.cents(), request.memo]))
}

/// Fingerprint of a request that was refused but whose id could be read: its raw fields.
pub fn of_raw(payer: AccountId, payload: &[u8]) -> Fingerprint {
    let object = serde_json::from_slice::<Value>(payload).unwrap_or(Value::Null);
    let field = |name: &str| object.get(name).cloned().unwrap_or(Value::Null);
    digest(&json!(["raw", payer, field("to"), field("amount"), field("memo")]))
}

fn digest(value: &Value) -> Fingerprint {
    Sha256::digest(value.to_string().as_bytes()).into()
}
