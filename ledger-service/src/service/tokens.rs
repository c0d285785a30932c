//! Answers devices' token requests: issue a token to a device signed in with its
//! password, or revoke the token of any device of the same account. The broker's ACL
//! has already checked that the device in the topic is the one that sent it.

use bank_protocol::{
    AccountId, DEVICE_NAME_CHARS_MAX, PAYLOAD_BYTES_MAX, TokenIssue, TokenResult, TokenRevoke, is_device_id,
};
use serde::de::DeserializeOwned;

use crate::ledger::StoreError;
use crate::login::tokens::TokenStore;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAction {
    Issue,
    Revoke,
}

/// A token request as it arrived: who asked (from the topic), and the payload untouched.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub account: AccountId,
    pub device: String,
    pub action: TokenAction,
    pub payload: Vec<u8>,
}

pub fn answer(store: &TokenStore, request: &TokenRequest, at: &str) -> Result<TokenResult, StoreError> {
    match request.action {
        TokenAction::Issue => issue(store, request, at),
        TokenAction::Revoke => revoke(store, request),
    }
}

fn issue(store: &TokenStore, request: &TokenRequest, at: &str) -> Result<TokenResult, StoreError> {
    let issue: TokenIssue = match parse(&request.payload) {
        Ok(issue) => issue,
        Err(rejected) => return Ok(rejected),
    };
    let name: String =
        (issue.name.as_deref().unwrap_or("")).chars().filter(|c| !c.is_control()).take(DEVICE_NAME_CHARS_MAX).collect();
    let Some(token) = store.issue(request.account, &request.device, &name, at, &issue.id.to_string())? else {
        let message = "this request already got its token; the device keeps the one it received".to_string();
        return Ok(TokenResult::Rejected { id: Some(issue.id), message });
    };
    tracing::info!(account = %request.account, device = %request.device, %name, "issued a device token");
    Ok(TokenResult::Issued { id: issue.id, token })
}

fn revoke(store: &TokenStore, request: &TokenRequest) -> Result<TokenResult, StoreError> {
    let revoke: TokenRevoke = match parse(&request.payload) {
        Ok(revoke) => revoke,
        Err(rejected) => return Ok(rejected),
    };
    if !is_device_id(&revoke.device) {
        let message = "`device` must be a device id, as in bank/presence/{account}/{device}".to_string();
        return Ok(TokenResult::Rejected { id: Some(revoke.id), message });
    }
    let revoked = store.revoke(request.account, Some(&revoke.device))? > 0;
    tracing::info!(account = %request.account, device = %revoke.device, by = %request.device, revoked,
        "revoked a device token");
    Ok(TokenResult::Revoked { id: revoke.id, device: revoke.device, revoked })
}

fn parse<T: DeserializeOwned>(payload: &[u8]) -> Result<T, TokenResult> {
    if payload.len() > PAYLOAD_BYTES_MAX {
        let message = format!("the request is over {PAYLOAD_BYTES_MAX} bytes");
        return Err(TokenResult::Rejected { id: None, message });
    }
    serde_json::from_slice(payload).map_err(|error| TokenResult::Rejected {
        id: readable_id(payload),
        message: format!("the request is not valid: {error}. Send {{\"id\":\"<uuid>\",…}} as in docs/protocol.md"),
    })
}

fn readable_id(payload: &[u8]) -> Option<uuid::Uuid> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(action: TokenAction, payload: &str) -> TokenRequest {
        let account = AccountId::parse("00001").unwrap();
        TokenRequest { account, device: "a1b2c3d4e5f6".into(), action, payload: payload.as_bytes().to_vec() }
    }

    #[test]
    fn issues_revokes_and_refuses_bad_requests_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::open(&dir.path().join("ledger.sqlite3")).unwrap();
        let id = uuid::Uuid::nil();
        let at = "2026-11-30T00:00:00.000Z";
        let issued =
            answer(&store, &request(TokenAction::Issue, &format!(r#"{{"id":"{id}","name":"P\u0007ixel"}}"#)), at);
        let TokenResult::Issued { token, .. } = issued.unwrap() else { panic!("not issued") };
        assert!(store.find(token.as_bytes()).unwrap().is_some());
        let again = answer(&store, &request(TokenAction::Issue, &format!(r#"{{"id":"{id}"}}"#)), at).unwrap();
        assert!(matches!(again, TokenResult::Rejected { id: Some(again), .. } if again == id), "{again:?}");
        assert!(store.find(token.as_bytes()).unwrap().is_some(), "a repeated request keeps the token it got");
        assert_eq!(store.list().unwrap()[0].name, "Pixel", "control characters are dropped");

        let revoke = format!(r#"{{"id":"{id}","device":"a1b2c3d4e5f6"}}"#);
        let revoked = answer(&store, &request(TokenAction::Revoke, &revoke), at).unwrap();
        assert_eq!(revoked, TokenResult::Revoked { id, device: "a1b2c3d4e5f6".into(), revoked: true });
        assert!(store.find(token.as_bytes()).unwrap().is_none());

        for (action, payload, expected) in [
            (TokenAction::Issue, "nonsense".to_string(), "not valid"),
            (TokenAction::Revoke, format!(r#"{{"id":"{id}"}}"#), "missing field `device`"),
            (TokenAction::Revoke, format!(r#"{{"id":"{id}","device":"a/b"}}"#), "must be a device id"),
            (TokenAction::Issue, "x".repeat(PAYLOAD_BYTES_MAX + 1), "over"),
        ] {
            let result = answer(&store, &request(action, &payload), at).unwrap();
            let TokenResult::Rejected { message, .. } = result else { panic!("{payload}: not rejected") };
            assert!(message.contains(expected), "{message}");
        }
    }
}
