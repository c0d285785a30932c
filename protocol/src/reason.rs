use serde::{Deserialize, Serialize};

/// Why the ledger rejected a request. The wire form is the snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    InsufficientFunds,
    UnknownAccount,
    SameAccount,
    InvalidAmount,
    MalformedRequest,
    IdConflict,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_documented_codes() {
        let reasons = [
            Reason::InsufficientFunds,
            Reason::UnknownAccount,
            Reason::SameAccount,
            Reason::InvalidAmount,
            Reason::MalformedRequest,
            Reason::IdConflict,
        ];
        let codes: Vec<String> = reasons.iter().map(|reason| serde_json::to_string(reason).unwrap()).collect();
        let expected = [
            "insufficient_funds",
            "unknown_account",
            "same_account",
            "invalid_amount",
            "malformed_request",
            "id_conflict",
        ];
        assert_eq!(codes, expected.map(|code| format!("\"{code}\"")));
    }
}
