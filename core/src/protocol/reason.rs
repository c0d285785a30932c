use std::fmt;

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

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::InsufficientFunds,
        Reason::UnknownAccount,
        Reason::SameAccount,
        Reason::InvalidAmount,
        Reason::MalformedRequest,
        Reason::IdConflict,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::InsufficientFunds => "insufficient_funds",
            Reason::UnknownAccount => "unknown_account",
            Reason::SameAccount => "same_account",
            Reason::InvalidAmount => "invalid_amount",
            Reason::MalformedRequest => "malformed_request",
            Reason::IdConflict => "id_conflict",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_serde_names() {
        for reason in Reason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.code()));
            assert_eq!(Reason::from_code(reason.code()), Some(reason));
        }
    }
}
