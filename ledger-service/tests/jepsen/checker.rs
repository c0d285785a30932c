//! The checker: pure functions from what the devices saw and what the ledger shows at
//! the end to a list of violations. No I/O and no clocks, so its own tests can feed it
//! histories with known faults and see each one reported.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bank_protocol::{AccountId, Amount, BalanceUpdate, Direction, HistoryEntry, Reason, TransferResult};
use uuid::Uuid;

/// One transfer request as its device first sent it: every later copy must carry the same
/// content, and the ledger must record exactly this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub id: Uuid,
    pub payer: AccountId,
    pub to: AccountId,
    pub amount: Amount,
    pub memo: Option<String>,
}

/// What a device was still waiting for when it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// A first request: no result at all.
    Result,
    /// A replay of a settled id: the stored result never came back.
    Replay,
    /// The id sent again with other content: `id_conflict` never came back.
    IdConflict,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unanswered {
    pub id: Uuid,
    pub waiting: Waiting,
    pub waited_ms: u64,
}

/// Everything the devices saw, merged.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub sent: Vec<Sent>,
    /// Every result received for an id, in arrival order. A device sends replays and
    /// conflicting copies only after the first result, so the first is the id's own.
    pub results: BTreeMap<Uuid, Vec<TransferResult>>,
    /// Ids that were sent again with other content.
    pub conflicted: BTreeSet<Uuid>,
    pub unanswered: Vec<Unanswered>,
    /// Result payloads that could not be read, or that carried no id.
    pub garbled: Vec<String>,
}

/// One account as read back through the protocol at the end.
#[derive(Clone, Debug)]
pub struct AccountFinal {
    /// The retained `bank/balanceUpdate/{account}`.
    pub balance: BalanceUpdate,
    /// Every history row, in the order the pages gave them (newest first).
    pub history: Vec<HistoryEntry>,
}

pub type Final = BTreeMap<AccountId, AccountFinal>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The total of all balances is not the total of the opening balances.
    TotalChanged,
    /// A balance or a running balance below zero.
    Negative,
    /// History versions do not run 1..=V, V being the retained balance's version.
    Versions,
    /// Replaying history from the opening balance does not give a row's balance or the final one.
    Replay,
    /// A transfer a device saw accepted is missing from a history.
    Lost,
    /// A transfer is in one account's history more than once.
    Duplicated,
    /// A history row carries other content than the transfer was sent with.
    Altered,
    /// A history row whose transfer no device saw accepted.
    Phantom,
    /// An id got two different results (other than `id_conflict` for conflicting content).
    ResultChanged,
    /// An accepted result's balance or version is not the payer's history row for it.
    ResultDisagrees,
    /// A request or probe got no answer within the liveness bound.
    Unanswered,
    /// A result that could not be read, had no id, or answered an id nobody sent.
    Garbled,
    /// The end state could not be read through the protocol.
    ReadBack,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

fn violation(kind: Kind, detail: String) -> Violation {
    Violation { kind, detail }
}

/// Every check, in a fixed order; an empty list means the run was correct.
pub fn check(openings: &BTreeMap<AccountId, Amount>, observed: &Observed, last: &Final) -> Vec<Violation> {
    let mut violations = Vec::new();
    violations.extend(check_total(openings, last));
    for (account, opening) in openings {
        match last.get(account) {
            Some(read) => violations.extend(check_account(*account, *opening, read)),
            None => violations.push(violation(Kind::Lost, format!("account {account} could not be read back"))),
        }
    }
    violations.extend(check_results(observed));
    violations.extend(check_entries(observed, last));
    violations.extend(check_accepted_rows(observed, last));
    violations.extend(check_liveness(observed));
    violations
}

fn check_total(openings: &BTreeMap<AccountId, Amount>, last: &Final) -> Option<Violation> {
    let opening_cents: i64 = openings.values().map(|amount| amount.cents()).sum();
    let final_cents: i64 = last.values().map(|account| account.balance.balance.cents()).sum();
    (opening_cents != final_cents).then(|| {
        let detail = format!("total {} at the end, {} at the start", Amount::from_cents(final_cents), {
            Amount::from_cents(opening_cents)
        });
        violation(Kind::TotalChanged, detail)
    })
}

/// Versions 1..=V in order, every running balance non-negative and equal to the row's,
/// and the last one equal to the retained balance.
fn check_account(account: AccountId, opening: Amount, read: &AccountFinal) -> Vec<Violation> {
    let mut violations = Vec::new();
    let retained = &read.balance;
    if retained.balance < Amount::ZERO {
        violations.push(violation(Kind::Negative, format!("{account} ends at {}", retained.balance)));
    }
    let versions: Vec<u64> = read.history.iter().rev().map(|row| row.version).collect();
    if !versions.iter().copied().eq(1..=retained.version) {
        let detail = format!(
            "{account}: retained version {} but history has {} rows, versions {}",
            retained.version,
            versions.len(),
            summarise_versions(&versions)
        );
        violations.push(violation(Kind::Versions, detail));
    }
    let mut running = opening;
    for row in read.history.iter().rev() {
        running = step(running, row);
        if running != row.balance {
            let detail = format!("{account} v{}: replay gives {running}, the row says {}", row.version, row.balance);
            violations.push(violation(Kind::Replay, detail));
            running = row.balance;
        }
        if row.balance < Amount::ZERO {
            violations.push(violation(Kind::Negative, format!("{account} v{} at {}", row.version, row.balance)));
        }
    }
    if running != retained.balance {
        let detail = format!("{account}: history ends at {running}, the retained balance is {}", retained.balance);
        violations.push(violation(Kind::Replay, detail));
    }
    violations
}

fn step(balance: Amount, row: &HistoryEntry) -> Amount {
    let cents = match row.entry.direction {
        Direction::In => balance.cents().saturating_add(row.entry.amount.cents()),
        Direction::Out => balance.cents().saturating_sub(row.entry.amount.cents()),
    };
    Amount::from_cents(cents)
}

/// The first few versions and the last, so a report stays one line.
fn summarise_versions(versions: &[u64]) -> String {
    const SHOWN_MAX: usize = 8;
    let head: Vec<String> = versions.iter().take(SHOWN_MAX).map(u64::to_string).collect();
    match versions.len() {
        0 => "none".into(),
        len if len <= SHOWN_MAX => head.join(","),
        _ => format!("{},…,{}", head.join(","), versions[versions.len() - 1]),
    }
}

/// An id's result never changes: every result equals the first one, except `id_conflict`
/// answers to a copy with other content. A fresh id is never an `id_conflict`.
fn check_results(observed: &Observed) -> Vec<Violation> {
    let sent: BTreeSet<Uuid> = observed.sent.iter().map(|sent| sent.id).collect();
    let mut violations: Vec<Violation> =
        observed.garbled.iter().map(|garbled| violation(Kind::Garbled, garbled.clone())).collect();
    for (id, results) in &observed.results {
        if !sent.contains(id) {
            violations.push(violation(Kind::Garbled, format!("a result for {id}, which no device sent")));
            continue;
        }
        let Some(first) = results.first() else { continue };
        if is_id_conflict(first) {
            violations.push(violation(Kind::ResultChanged, format!("{id}: a fresh id got id_conflict: {first:?}")));
        }
        let conflicted = observed.conflicted.contains(id);
        for later in &results[1..] {
            if later != first && !(conflicted && is_id_conflict(later)) {
                let detail = format!("{id}: first {first:?}, later {later:?}");
                violations.push(violation(Kind::ResultChanged, detail));
            }
        }
    }
    violations
}

fn is_id_conflict(result: &TransferResult) -> bool {
    matches!(result, TransferResult::Rejected { reason: Reason::IdConflict, .. })
}

/// The first result of each id: what the ledger decided for it.
fn decided(observed: &Observed) -> BTreeMap<Uuid, &TransferResult> {
    observed.results.iter().filter_map(|(id, results)| Some((*id, results.first()?))).collect()
}

/// One side of an accepted transfer, as the history row for it must read.
#[derive(Debug, PartialEq, Eq)]
struct Side<'a> {
    direction: Direction,
    counterparty: AccountId,
    amount: Amount,
    memo: Option<&'a str>,
}

/// Every accepted transfer is in the payer's history as `out` and in the payee's as `in`,
/// exactly once each, with the content it was sent with; nothing else is in any history.
fn check_entries(observed: &Observed, last: &Final) -> Vec<Violation> {
    let decided = decided(observed);
    let mut expected: BTreeMap<(AccountId, Uuid), Side> = BTreeMap::new();
    let mut rejected: BTreeSet<Uuid> = BTreeSet::new();
    for sent in &observed.sent {
        match decided.get(&sent.id) {
            Some(TransferResult::Accepted { .. }) => {
                let memo = sent.memo.as_deref();
                let (amount, id) = (sent.amount, sent.id);
                expected
                    .insert((sent.payer, id), Side { direction: Direction::Out, counterparty: sent.to, amount, memo });
                expected
                    .insert((sent.to, id), Side { direction: Direction::In, counterparty: sent.payer, amount, memo });
            }
            Some(TransferResult::Rejected { .. }) => drop(rejected.insert(sent.id)),
            None => {}
        }
    }
    let mut seen: BTreeMap<(AccountId, Uuid), usize> = BTreeMap::new();
    let mut violations = Vec::new();
    for (account, read) in last {
        for row in &read.history {
            let key = (*account, row.entry.id);
            *seen.entry(key).or_default() += 1;
            violations.extend(check_row(&expected, &rejected, *account, row));
        }
    }
    for (&(account, id), count) in &seen {
        if *count > 1 {
            violations.push(violation(Kind::Duplicated, format!("{id} is in {account}'s history {count} times")));
        }
    }
    for (account, id) in expected.keys() {
        if !seen.contains_key(&(*account, *id)) {
            violations.push(violation(Kind::Lost, format!("{id} was accepted but is not in {account}'s history")));
        }
    }
    violations
}

fn check_row(
    expected: &BTreeMap<(AccountId, Uuid), Side>,
    rejected: &BTreeSet<Uuid>,
    account: AccountId,
    row: &HistoryEntry,
) -> Option<Violation> {
    let entry = &row.entry;
    let side = Side {
        direction: entry.direction,
        counterparty: entry.counterparty,
        amount: entry.amount,
        memo: entry.memo.as_deref(),
    };
    let id = entry.id;
    match expected.get(&(account, id)) {
        Some(wanted) if *wanted == side => None,
        Some(wanted) => Some(violation(
            Kind::Altered,
            format!("{account} v{}: {id} reads {side:?}, was sent as {wanted:?}", row.version),
        )),
        None if rejected.contains(&id) => {
            Some(violation(Kind::Phantom, format!("{account} v{}: {id} was rejected but is applied", row.version)))
        }
        None => Some(violation(Kind::Phantom, format!("{account} v{}: {id} was never seen accepted", row.version))),
    }
}

/// An accepted result names the payer's balance and version right after the transfer:
/// exactly the payer's history row for that id.
fn check_accepted_rows(observed: &Observed, last: &Final) -> Vec<Violation> {
    let payers: BTreeMap<Uuid, AccountId> = observed.sent.iter().map(|sent| (sent.id, sent.payer)).collect();
    let mut violations = Vec::new();
    for (id, result) in decided(observed) {
        let TransferResult::Accepted { balance, version, .. } = result else { continue };
        let Some(read) = payers.get(&id).and_then(|payer| last.get(payer)) else { continue };
        let row = read.history.iter().find(|row| row.entry.id == id && row.entry.direction == Direction::Out);
        if let Some(row) = row.filter(|row| (row.balance, row.version) != (*balance, *version)) {
            let detail = format!(
                "{id}: accepted at {balance} v{version}, the payer's history has {} v{}",
                row.balance, row.version
            );
            violations.push(violation(Kind::ResultDisagrees, detail));
        }
    }
    violations
}

fn check_liveness(observed: &Observed) -> Vec<Violation> {
    let unanswered = observed.unanswered.iter().map(|waiting| {
        let detail = format!("{}: no {:?} after {} ms", waiting.id, waiting.waiting, waiting.waited_ms);
        violation(Kind::Unanswered, detail)
    });
    let sent_without_result = observed.sent.iter().filter(|sent| !observed.results.contains_key(&sent.id));
    let silent = sent_without_result.filter(|sent| !observed.unanswered.iter().any(|waiting| waiting.id == sent.id));
    let silent = silent.map(|sent| violation(Kind::Unanswered, format!("{}: sent, never answered", sent.id)));
    unanswered.chain(silent).collect()
}

#[cfg(test)]
mod tests {
    use bank_protocol::Entry;

    use super::*;

    fn account(number: u8) -> AccountId {
        AccountId::parse(&format!("{number:05}")).unwrap()
    }

    fn openings() -> BTreeMap<AccountId, Amount> {
        crate::OPENING_CENTS
            .iter()
            .map(|(number, cents)| (AccountId::parse(number).unwrap(), Amount::from_cents(*cents)))
            .collect()
    }

    fn sent(id: u128, payer: u8, to: u8, cents: i64) -> Sent {
        let memo = id.is_multiple_of(2).then(|| format!("memo {id}"));
        Sent {
            id: Uuid::from_u128(id),
            payer: account(payer),
            to: account(to),
            amount: Amount::from_cents(cents),
            memo,
        }
    }

    /// A ledger that works: applies `transfers` in order, as the engine would, and answers
    /// each one. Returns what devices would see and what a read-back would give.
    fn world(transfers: &[Sent]) -> (Observed, Final) {
        let mut balances = openings();
        let mut histories: BTreeMap<AccountId, Vec<HistoryEntry>> = BTreeMap::new();
        let mut observed = Observed { sent: transfers.to_vec(), ..Observed::default() };
        for sent in transfers {
            let result = apply(&mut balances, &mut histories, sent);
            observed.results.insert(sent.id, vec![result]);
        }
        let last = balances
            .iter()
            .map(|(id, balance)| {
                let mut history = histories.remove(id).unwrap_or_default();
                let version = history.len() as u64;
                history.reverse();
                let balance = BalanceUpdate::snapshot(*id, *balance, version);
                (*id, AccountFinal { balance, history })
            })
            .collect();
        (observed, last)
    }

    fn apply(
        balances: &mut BTreeMap<AccountId, Amount>,
        histories: &mut BTreeMap<AccountId, Vec<HistoryEntry>>,
        sent: &Sent,
    ) -> TransferResult {
        let payer_balance = balances[&sent.payer];
        if payer_balance < sent.amount {
            let message = "balance is too low".into();
            return TransferResult::Rejected { id: Some(sent.id), reason: Reason::InsufficientFunds, message };
        }
        let mut post = |account: AccountId, counterparty: AccountId, direction: Direction| {
            let balance = step(balances[&account], &row(sent, counterparty, direction, 0, Amount::ZERO));
            balances.insert(account, balance);
            let history = histories.entry(account).or_default();
            let version = history.len() as u64 + 1;
            history.push(row(sent, counterparty, direction, version, balance));
            (balance, version)
        };
        let (balance, version) = post(sent.payer, sent.to, Direction::Out);
        post(sent.to, sent.payer, Direction::In);
        TransferResult::Accepted { id: sent.id, balance, version }
    }

    fn row(sent: &Sent, counterparty: AccountId, direction: Direction, version: u64, balance: Amount) -> HistoryEntry {
        let entry = Entry {
            id: sent.id,
            direction,
            counterparty,
            amount: sent.amount,
            memo: sent.memo.clone(),
            at: bank_protocol::Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap(),
        };
        HistoryEntry { version, balance, entry }
    }

    fn transfers() -> Vec<Sent> {
        vec![
            sent(1, 1, 2, 10_000),
            sent(2, 2, 3, 2_500),
            sent(3, 4, 1, 9_999_900), // rejected: 00004 holds 350.00
            sent(4, 3, 5, 123),
            sent(5, 5, 4, 100),
            sent(6, 1, 4, 777),
        ]
    }

    fn kinds(violations: &[Violation]) -> BTreeSet<Kind> {
        violations.iter().map(|violation| violation.kind).collect()
    }

    #[test]
    fn a_correct_ledger_has_no_violations() {
        let (mut observed, last) = world(&transfers());
        // A replay got the same result, and a conflicting copy got id_conflict.
        let id = Uuid::from_u128(2);
        let first = observed.results[&id][0].clone();
        let conflict =
            TransferResult::Rejected { id: Some(id), reason: Reason::IdConflict, message: "already used".into() };
        observed.results.get_mut(&id).unwrap().extend([first, conflict]);
        observed.conflicted.insert(id);
        assert_eq!(check(&openings(), &observed, &last), vec![]);
        assert!(matches!(observed.results[&Uuid::from_u128(3)][0], TransferResult::Rejected { .. }));
    }

    #[test]
    fn a_lost_transfer_is_reported() {
        let all = transfers();
        let (observed, _) = world(&all);
        let without_first: Vec<Sent> = all[1..].to_vec();
        let (_, last) = world(&without_first);
        let violations = check(&openings(), &observed, &last);
        assert!(kinds(&violations).contains(&Kind::Lost), "{violations:#?}");
        assert!(!kinds(&violations).contains(&Kind::TotalChanged), "a lost transfer keeps the total");
    }

    #[test]
    fn a_duplicated_transfer_is_reported() {
        let all = transfers();
        let (observed, _) = world(&all);
        let mut twice = all.clone();
        twice.insert(1, all[0].clone());
        let (_, last) = world(&twice);
        let violations = check(&openings(), &observed, &last);
        assert!(kinds(&violations).contains(&Kind::Duplicated), "{violations:#?}");
    }

    #[test]
    fn an_altered_transfer_is_reported() {
        let all = transfers();
        let (observed, _) = world(&all);
        let mut altered = all.clone();
        altered[1].amount = Amount::from_cents(altered[1].amount.cents() + 1);
        let (_, last) = world(&altered);
        let violations = check(&openings(), &observed, &last);
        assert!(kinds(&violations).contains(&Kind::Altered), "{violations:#?}");

        let mut payee_changed = all.clone();
        payee_changed[0].to = account(5);
        let (_, last) = world(&payee_changed);
        assert!(kinds(&check(&openings(), &observed, &last)).contains(&Kind::Altered));
    }

    #[test]
    fn a_changed_result_is_reported() {
        let (mut observed, last) = world(&transfers());
        let id = Uuid::from_u128(1);
        let changed = TransferResult::Accepted { id, balance: Amount::from_cents(1), version: 9 };
        observed.results.get_mut(&id).unwrap().push(changed);
        let violations = check(&openings(), &observed, &last);
        assert_eq!(kinds(&violations), BTreeSet::from([Kind::ResultChanged]), "{violations:#?}");

        // id_conflict is only a valid answer for an id that was sent with other content.
        let (mut observed, last) = world(&transfers());
        let conflict =
            TransferResult::Rejected { id: Some(id), reason: Reason::IdConflict, message: "already used".into() };
        observed.results.get_mut(&id).unwrap().push(conflict);
        assert_eq!(kinds(&check(&openings(), &observed, &last)), BTreeSet::from([Kind::ResultChanged]));
    }

    #[test]
    fn a_rejected_transfer_that_was_applied_is_reported() {
        let all = transfers();
        let (mut observed, last) = world(&all);
        let id = Uuid::from_u128(1);
        let message = "balance is too low".into();
        observed
            .results
            .insert(id, vec![TransferResult::Rejected { id: Some(id), reason: Reason::InsufficientFunds, message }]);
        let violations = check(&openings(), &observed, &last);
        assert!(kinds(&violations).contains(&Kind::Phantom), "{violations:#?}");
    }

    #[test]
    fn broken_balances_and_versions_are_reported() {
        let (observed, mut last) = world(&transfers());
        let one = last.get_mut(&account(1)).unwrap();
        one.balance.balance = Amount::from_cents(one.balance.balance.cents() + 5);
        one.history.remove(1);
        let violations = check(&openings(), &observed, &last);
        let found = kinds(&violations);
        for kind in [Kind::TotalChanged, Kind::Versions, Kind::Replay, Kind::Lost] {
            assert!(found.contains(&kind), "{kind:?} missing from {violations:#?}");
        }
    }

    #[test]
    fn an_unanswered_request_is_reported() {
        let (mut observed, last) = world(&transfers());
        observed.results.remove(&Uuid::from_u128(3));
        observed.unanswered.push(Unanswered {
            id: Uuid::from_u128(4),
            waiting: Waiting::IdConflict,
            waited_ms: 60_000,
        });
        let violations = check(&openings(), &observed, &last);
        assert_eq!(violations.len(), 2, "{violations:#?}");
        assert_eq!(kinds(&violations), BTreeSet::from([Kind::Unanswered]));
    }
}
