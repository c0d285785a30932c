//! Accounts and credentials: the built-in demo set, or a TOML file given with `--config`.

use std::collections::HashSet;
use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString, rand_core::OsRng};
use bank_protocol::{AccountId, Amount};
use serde::Deserialize;

use crate::access::Users;

/// The demo: five accounts (password `demo`) and an `operator` (password `operator`).
pub const DEMO_CONFIG: &str = include_str!("../demo-config.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub accounts: Vec<AccountConfig>,
    pub operator: Option<OperatorConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub number: AccountId,
    pub opening_balance: Amount,
    /// Argon2 PHC string, as printed by `ledger-service hash-password`.
    pub password_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    pub password_hash: String,
}

impl Config {
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let (text, origin) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| format!("cannot read config file {}: {error}", path.display()))?;
                (text, path.display().to_string())
            }
            None => (DEMO_CONFIG.to_string(), "built-in demo config".to_string()),
        };
        Config::parse(&text).map_err(|error| format!("{origin}: {error}"))
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|error| error.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.accounts.is_empty() {
            return Err("no accounts: add at least one [[accounts]] table".into());
        }
        let mut seen = HashSet::new();
        for account in &self.accounts {
            if !seen.insert(account.number) {
                return Err(format!("account {} is listed twice", account.number));
            }
            check_hash(&account.password_hash).map_err(|error| format!("account {}: {error}", account.number))?;
        }
        if let Some(operator) = &self.operator {
            check_hash(&operator.password_hash).map_err(|error| format!("operator: {error}"))?;
        }
        // Keeping the total far inside i64 means no balance arithmetic can overflow.
        let total =
            self.accounts.iter().try_fold(Amount::ZERO, |total, account| total.checked_add(account.opening_balance));
        match total {
            Some(total) if total.cents() <= i64::MAX / 4 => Ok(()),
            _ => Err("the opening balances add up to more than the ledger can hold".into()),
        }
    }

    pub fn opening_balances(&self) -> Vec<(AccountId, Amount)> {
        self.accounts.iter().map(|account| (account.number, account.opening_balance)).collect()
    }

    pub fn users(&self) -> Users {
        let accounts = self.accounts.iter().map(|account| (account.number, account.password_hash.clone())).collect();
        Users::new(accounts, self.operator.as_ref().map(|operator| operator.password_hash.clone()))
    }
}

fn check_hash(phc: &str) -> Result<(), String> {
    PasswordHash::new(phc).map(|_| ()).map_err(|error| {
        format!("password_hash is not an Argon2 PHC string ({error}); make one with `ledger-service hash-password`")
    })
}

/// Hashes a password for the config file, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("cannot hash password: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_config_has_five_accounts_with_demo_passwords() {
        let config = Config::load(None).unwrap();
        let balances: Vec<_> = config.opening_balances().iter().map(|(id, amount)| format!("{id}={amount}")).collect();
        assert_eq!(balances, ["00001=1000.00", "00002=726.14", "00003=2500.00", "00004=350.00", "00005=0.00"]);
        let users = config.users();
        assert_eq!(users.with_demo_passwords(), ["00001", "00002", "00003", "00004", "00005", "operator"]);
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let hash = hash_password("x").unwrap();
        let account = |number: &str, balance: &str, hash: &str| {
            format!(
                "[[accounts]]\nnumber = \"{number}\"\nopening_balance = \"{balance}\"\npassword_hash = \"{hash}\"\n"
            )
        };
        let cases = [
            (String::from("accounts = []"), "no accounts"),
            (account("00001", "1", &hash) + &account("00001", "2", &hash), "listed twice"),
            (account("1", "1", &hash), "not an account number"),
            (account("00001", "1.001", &hash), "at most 2 digits"),
            (account("00001", "1", "demo"), "hash-password"),
            (account("00001", "1", &hash) + "colour = \"red\"\n", "unknown field"),
        ];
        for (text, expected) in cases {
            let error = Config::parse(&text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
