//! Device tokens: a device presents its password once, gets a random secret for itself,
//! and signs in with that from then on. A password is slow to check on purpose; a token
//! of 256 random bits needs only a fast hash, and can be revoked per device.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every token starts with this, so the broker tells a token from a password without
/// running Argon2. A password that starts with it cannot sign in.
pub const TOKEN_PREFIX: &str = "bt1.";
/// Device names are for people; longer ones are cut.
pub const DEVICE_NAME_CHARS_MAX: usize = 64;

pub fn is_token(secret: &[u8]) -> bool {
    secret.starts_with(TOKEN_PREFIX.as_bytes())
}

/// Payload of `token/issue/{account}/{device}`: published by a device signed in with
/// its password, for itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssue {
    pub id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
}

/// Payload of `token/revoke/{account}/{device}`: `device` is the device of the same
/// account whose token ends (the sender's own, or another's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevoke {
    pub id: Uuid,
    pub device: String,
}

/// Published to `token/result/{account}/{device}` (QoS 1, not retained), where only
/// the device with that client id may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenResult {
    Issued { id: Uuid, token: String },
    Revoked { id: Uuid, device: String, revoked: bool },
    Rejected { id: Option<Uuid>, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_messages_have_the_documented_shape() {
        let id = Uuid::nil();
        let issued = TokenResult::Issued { id, token: "bt1.abc".into() };
        assert_eq!(serde_json::to_value(&issued).unwrap(), json!({"status": "issued", "id": id, "token": "bt1.abc"}));
        let issue: TokenIssue = serde_json::from_value(json!({"id": id})).unwrap();
        assert_eq!(issue.name, None);
        assert!(is_token(b"bt1.abc") && !is_token(b"demo"));
    }
}
