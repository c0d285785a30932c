//! The transfer form: the same rules the ledger applies, checked before anything is
//! sent, so invalid input never reaches the network.

use crate::protocol::{AccountId, Amount, check_memo};

use super::format;

/// What the user has typed, and what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub payee: String,
    pub amount: String,
    pub memo: String,
    pub errors: FormErrors,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub payee: Option<String>,
    pub amount: Option<String>,
    pub memo: Option<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.payee.is_none() && self.amount.is_none() && self.memo.is_none()
    }
}

/// A form that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTransfer {
    pub to: AccountId,
    pub amount: Amount,
    pub memo: Option<String>,
}

/// What the checks know beyond the typed text.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub payer: AccountId,
    /// Confirmed balance minus transfers still in the outbox; `None` until a balance arrives.
    pub available: Option<Amount>,
}

impl Form {
    pub fn new(payee: &str, amount: &str, memo: &str) -> Form {
        Form { payee: payee.trim().into(), amount: amount.trim().into(), memo: memo.trim().into(), ..Form::default() }
    }

    /// Checks every field. While typing (`submitted == false`) an empty field is not yet
    /// an error, so a fresh form shows no red text.
    pub fn check(&mut self, limits: Limits, submitted: bool) -> Option<ValidTransfer> {
        let payee = self.check_payee(limits.payer, submitted);
        let amount = self.check_amount(limits.available, submitted);
        let memo = check_memo(&self.memo).map_err(format::sentence);
        self.errors = FormErrors {
            payee: payee.as_ref().err().cloned().flatten(),
            amount: amount.as_ref().err().cloned().flatten(),
            memo: memo.as_ref().err().cloned(),
        };
        if !self.errors.is_empty() {
            return None;
        }
        Some(ValidTransfer {
            to: payee.ok()?,
            amount: amount.ok()?,
            memo: (!self.memo.is_empty()).then(|| self.memo.clone()),
        })
    }

    /// `Err(None)`: not valid, but nothing to say yet.
    fn check_payee(&self, payer: AccountId, submitted: bool) -> Result<AccountId, Option<String>> {
        if self.payee.is_empty() {
            return Err(submitted.then(|| "Enter the payee's account number, like 00002".into()));
        }
        let payee = self.payee.strip_prefix('#').unwrap_or(&self.payee);
        match AccountId::parse(payee) {
            None => Err(Some("An account number is 5 digits, like 00002".into())),
            Some(payee) if payee == payer => Err(Some("You can't send money to your own account".into())),
            Some(payee) => Ok(payee),
        }
    }

    fn check_amount(&self, available: Option<Amount>, submitted: bool) -> Result<Amount, Option<String>> {
        if self.amount.is_empty() && !submitted {
            return Err(None);
        }
        let text = self.amount.strip_prefix('$').unwrap_or(&self.amount);
        let text = without_thousands_commas(text).ok_or_else(|| {
            Some("Use a point for cents and commas only between thousands, like 1,250.50".to_string())
        })?;
        let amount = Amount::parse_transfer(&text).map_err(|error| Some(format::sentence(error)))?;
        match available {
            Some(available) if amount > available => {
                Err(Some(format!("That is more than your available balance of {}", format::money(available))))
            }
            _ => Ok(amount),
        }
    }
}

/// `1,250.50` → `1250.50`. Commas must separate groups of three digits, so `5,50` (a
/// decimal comma) is refused rather than read as 550.
fn without_thousands_commas(text: &str) -> Option<String> {
    let whole = text.split('.').next().unwrap_or_default();
    if !whole.contains(',') {
        return Some(text.to_string());
    }
    let mut groups = whole.split(',');
    let first = groups.next()?;
    let well_grouped = (1..=3).contains(&first.len()) && groups.all(|group| group.len() == 3);
    well_grouped.then(|| text.replace(',', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { payer: AccountId::parse("00001").unwrap(), available: Some(Amount::from_cents(1_000_000)) }
    }

    fn errors(payee: &str, amount: &str, memo: &str, submitted: bool) -> FormErrors {
        let mut form = Form::new(payee, amount, memo);
        let valid = form.check(limits(), submitted);
        assert!(valid.is_none() || form.errors.is_empty());
        form.errors
    }

    #[test]
    fn accepts_what_the_ledger_accepts() {
        let mut form = Form::new(" 00002 ", "$1,000.5", "lunch");
        let valid = form.check(limits(), true).unwrap();
        assert_eq!(valid.to, AccountId::parse("00002").unwrap());
        assert_eq!(valid.amount, Amount::from_cents(100_050));
        assert_eq!(valid.memo.as_deref(), Some("lunch"));
        assert_eq!(Form::new("#00002", "5", "").check(limits(), true).unwrap().memo, None);
        assert_eq!(Form::new("00002", "1,000", "").check(limits(), true).unwrap().amount, Amount::from_cents(100_000));
    }

    #[test]
    fn says_what_is_wrong_with_each_field() {
        let cases = [
            ("0002", "5", "", "An account number is 5 digits, like 00002"),
            ("00001", "5", "", "You can't send money to your own account"),
            ("00002", "abc", "", "Amount must be digits with an optional decimal point, like 5.00"),
            ("00002", "0", "", "Amount must be greater than 0"),
            ("00002", "-5", "", "Amount must be greater than 0"),
            ("00002", "1.234", "", "Amount can have at most 2 digits after the decimal point"),
            ("00002", "1000000.01", "", "Amount can be at most 1,000,000.00"),
            ("00002", "10000.01", "", "That is more than your available balance of $10,000.00"),
            ("00002", "5,50", "", "Use a point for cents and commas only between thousands, like 1,250.50"),
            ("00002", "1,2,3", "", "Use a point for cents and commas only between thousands, like 1,250.50"),
            ("00002", "1000,000", "", "Use a point for cents and commas only between thousands, like 1,250.50"),
        ];
        for (payee, amount, memo, expected) in cases {
            let errors = errors(payee, amount, memo, false);
            let got = errors.payee.or(errors.amount).unwrap_or_else(|| panic!("{payee} {amount}: no error"));
            assert_eq!(got, expected, "{payee} {amount}");
        }
        let long = "x".repeat(141);
        assert_eq!(errors("00002", "5", &long, false).memo.unwrap(), "Memo is 141 characters; the limit is 140");
    }

    #[test]
    fn empty_fields_are_errors_only_once_submitted() {
        assert_eq!(errors("", "", "", false), FormErrors::default());
        let submitted = errors("", "", "", true);
        assert_eq!(submitted.payee.unwrap(), "Enter the payee's account number, like 00002");
        assert_eq!(submitted.amount.unwrap(), "Enter an amount, like 5.00");
    }

    #[test]
    fn an_unknown_balance_does_not_block_a_transfer() {
        let mut form = Form::new("00002", "999999", "");
        let limits = Limits { available: None, ..limits() };
        assert!(form.check(limits, true).is_some());
    }
}
