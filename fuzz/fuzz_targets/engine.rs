//! The ledger engine (`ledger_service::ledger::engine::apply`) on arbitrary batches of
//! submissions, committed to an in-memory store after each batch, and checked against a
//! reference ledger written the obvious way: conservation of the total, no negative
//! balance, consecutive versions, and idempotency (a replayed id with the same content
//! gets the identical result; with other content it gets `id_conflict` and changes nothing).
#![no_main]

use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use bank_protocol::{AccountId, Amount, BalanceUpdate, Reason, Timestamp, TransferResult, parse_transfer_request};
use ledger_service::ledger::engine::{Submission, apply};
use ledger_service::ledger::memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use uuid::Uuid;

fn at() -> Timestamp {
    Timestamp::parse("2026-11-24T12:00:00.000Z").unwrap()
}
/// The ledger's accounts and opening balances; payers and payees are drawn from these
/// plus one account the ledger does not have.
const OPENING: [(&str, i64); 5] =
    [("00001", 100_000), ("00002", 72_614), ("00003", 0), ("00004", 1), ("00005", 100_000_000)];
const UNKNOWN: &str = "00009";
const BATCHES_MAX: usize = 12;
const SUBMISSIONS_MAX: usize = 24;

#[derive(Arbitrary, Debug)]
struct Input {
    batches: Vec<Vec<Sub>>,
}

#[derive(Arbitrary, Debug)]
struct Sub {
    payer: u8,
    payload: Payload,
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Raw(Vec<u8>),
    Request { id: Id, to: Field, amount: AmountField, memo: Memo, extra: Option<(String, u8)> },
}

#[derive(Arbitrary, Debug)]
enum Id {
    /// One of a few UUIDs, so replays and id conflicts are common; in one of the spellings
    /// `Uuid::parse_str` accepts.
    Pool(u8, Spelling),
    Text(String),
    Number(u32),
    Missing,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Spelling {
    Hyphenated,
    Upper,
    Simple,
    Braced,
    Urn,
}

#[derive(Arbitrary, Debug)]
enum Field {
    Account(u8),
    Text(String),
    Number(u32),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum AmountField {
    /// Small amounts in the spellings the ledger must treat alike.
    Cents(u32, u8),
    Text(String),
    Number(u32),
    Null,
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Memo {
    Pool(u8),
    Text(String),
    Null,
    Number(u8),
    Missing,
}

fn account(index: u8) -> &'static str {
    match index as usize % (OPENING.len() + 1) {
        i if i < OPENING.len() => OPENING[i].0,
        _ => UNKNOWN,
    }
}

fn pool_id(index: u8) -> Uuid {
    Uuid::from_u128(0x0193a7c4_5b6e_7c3d_8f21_4a5b6c7d8e00 + u128::from(index % 6))
}

impl Payload {
    fn bytes(&self) -> Vec<u8> {
        let Payload::Request { id, to, amount, memo, extra } = self else {
            let Payload::Raw(bytes) = self else { unreachable!() };
            return bytes.clone();
        };
        let mut object = serde_json::Map::new();
        let id = match id {
            Id::Pool(index, spelling) => {
                let id = pool_id(*index);
                Some(json!(match spelling {
                    Spelling::Hyphenated => id.hyphenated().to_string(),
                    Spelling::Upper => id.hyphenated().to_string().to_uppercase(),
                    Spelling::Simple => id.simple().to_string(),
                    Spelling::Braced => id.braced().to_string(),
                    Spelling::Urn => id.urn().to_string(),
                }))
            }
            Id::Text(text) => Some(json!(text)),
            Id::Number(n) => Some(json!(n)),
            Id::Missing => None,
        };
        let to = match to {
            Field::Account(index) => Some(json!(account(*index))),
            Field::Text(text) => Some(json!(text)),
            Field::Number(n) => Some(json!(n)),
            Field::Missing => None,
        };
        let amount = match amount {
            AmountField::Cents(cents, spelling) => {
                // Mostly small amounts, so that payers run out of money now and then.
                let cents = i64::from(*cents % 200_000);
                let text = Amount::from_cents(cents).to_string();
                Some(json!(match spelling % 4 {
                    0 => text,
                    1 if cents % 100 == 0 => (cents / 100).to_string(),
                    2 if cents % 10 == 0 => text[..text.len() - 1].to_string(),
                    3 => format!("00{text}"),
                    _ => text,
                }))
            }
            AmountField::Text(text) => Some(json!(text)),
            AmountField::Number(n) => Some(json!(n)),
            AmountField::Null => Some(Value::Null),
            AmountField::Missing => None,
        };
        let memo = match memo {
            Memo::Pool(index) => {
                let memo = match index % 5 {
                    0 => "lunch".to_string(),
                    1 => String::new(),
                    2 => "rent".to_string(),
                    3 => "é".repeat(140),
                    _ => "x".repeat(141),
                };
                Some(json!(memo))
            }
            Memo::Text(text) => Some(json!(text)),
            Memo::Null => Some(Value::Null),
            Memo::Number(n) => Some(json!(n)),
            Memo::Missing => None,
        };
        for (name, value) in [("id", id), ("to", to), ("amount", amount), ("memo", memo)] {
            if let Some(value) = value {
                object.insert(name.into(), value);
            }
        }
        if let Some((name, value)) = extra {
            object.insert(name.clone(), json!(value));
        }
        serde_json::to_vec(&Value::Object(object)).unwrap()
    }
}

/// What "the same transfer" means: the normalised request, or the raw fields of a refused
/// one whose id could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Content {
    Valid { payer: AccountId, to: AccountId, cents: i64, memo: Option<String> },
    Refused { payer: AccountId, fields: String },
}

/// The ledger, written the obvious way, one submission at a time.
struct Reference {
    balances: HashMap<AccountId, (i64, u64)>,
    records: HashMap<Uuid, (Content, TransferResult)>,
}

enum Expected {
    /// Exactly this result (a replay).
    Exactly(TransferResult),
    /// A rejection with this id and reason.
    Rejected(Option<Uuid>, Reason),
    Accepted {
        id: Uuid,
        balance: i64,
        version: u64,
    },
}

impl Reference {
    fn submit(&mut self, payer: AccountId, payload: &[u8]) -> (Expected, Option<(Uuid, Content)>) {
        let (id, content, outcome) = match parse_transfer_request(payer, payload) {
            Ok(request) => {
                let content =
                    Content::Valid { payer, to: request.to, cents: request.amount.cents(), memo: request.memo.clone() };
                (request.id, content, Ok(request))
            }
            Err(bad) => {
                let Some(id) = bad.id else { return (Expected::Rejected(None, bad.reason), None) };
                let object = serde_json::from_slice::<Value>(payload).unwrap_or(Value::Null);
                let field = |name: &str| object.get(name).cloned().unwrap_or(Value::Null);
                let fields = json!([field("to"), field("amount"), field("memo")]).to_string();
                (id, Content::Refused { payer, fields }, Err(bad.reason))
            }
        };
        if let Some((stored, result)) = self.records.get(&id) {
            let expected = if *stored == content {
                Expected::Exactly(result.clone())
            } else {
                Expected::Rejected(Some(id), Reason::IdConflict)
            };
            return (expected, None);
        }
        let expected = match outcome {
            Err(reason) => Expected::Rejected(Some(id), reason),
            Ok(request) => match (self.balances.get(&payer).copied(), self.balances.get(&request.to).copied()) {
                (None, _) | (_, None) => Expected::Rejected(Some(id), Reason::UnknownAccount),
                (Some((from, _)), Some(_)) if from < request.amount.cents() => {
                    Expected::Rejected(Some(id), Reason::InsufficientFunds)
                }
                (Some((from, from_version)), Some((to, to_version))) => {
                    let cents = request.amount.cents();
                    self.balances.insert(payer, (from - cents, from_version + 1));
                    self.balances.insert(request.to, (to + cents, to_version + 1));
                    Expected::Accepted { id, balance: from - cents, version: from_version + 1 }
                }
            },
        };
        (expected, Some((id, content)))
    }
}

fuzz_target!(|input: Input| {
    let opening = OPENING.map(|(id, cents)| (AccountId::parse(id).unwrap(), cents));
    let mut store = MemoryStore::open(opening.map(|(id, cents)| (id, Amount::from_cents(cents))));
    let mut reference = Reference { balances: HashMap::new(), records: HashMap::new() };
    for (id, cents) in opening {
        reference.balances.insert(id, (cents, 0));
    }
    let total = store.total_cents();

    for batch in input.batches.iter().take(BATCHES_MAX) {
        let submissions: Vec<Submission> = batch
            .iter()
            .take(SUBMISSIONS_MAX)
            .map(|sub| Submission {
                payer: AccountId::parse(account(sub.payer)).unwrap(),
                payload: sub.payload.bytes(),
            })
            .collect();
        let versions_before: HashMap<AccountId, u64> =
            store.accounts().map(|state| (state.id, state.version)).collect();

        let applied = apply(&store, &submissions, at()).expect("the in-memory store never fails");

        assert_eq!(applied.results.len(), submissions.len(), "one result per submission");
        let mut new_ids = HashSet::new();
        let mut accepted = 0;
        for (submission, (payer, result)) in submissions.iter().zip(&applied.results) {
            assert_eq!(*payer, submission.payer);
            if let TransferResult::Rejected { message, .. } = result {
                assert!(!message.is_empty(), "every rejection says why");
            }
            let (expected, record) = reference.submit(submission.payer, &submission.payload);
            match expected {
                Expected::Exactly(stored) => assert_eq!(result, &stored, "a replay gets the stored result"),
                Expected::Rejected(id, reason) => match result {
                    TransferResult::Rejected { id: got_id, reason: got_reason, .. } => {
                        assert_eq!(
                            (*got_id, *got_reason),
                            (id, reason),
                            "{:?}",
                            String::from_utf8_lossy(&submission.payload)
                        );
                    }
                    TransferResult::Accepted { .. } => panic!("expected {reason:?}, got {result:?}"),
                },
                Expected::Accepted { id, balance, version } => {
                    accepted += 1;
                    assert_eq!(
                        result,
                        &TransferResult::Accepted { id, balance: Amount::from_cents(balance), version },
                        "{:?}",
                        String::from_utf8_lossy(&submission.payload)
                    );
                }
            }
            if let Some((id, content)) = record {
                assert!(new_ids.insert(id));
                reference.records.insert(id, (content, result.clone()));
            }
        }

        // The batch writes exactly the new ids, with the results that were published.
        let written: HashSet<Uuid> = applied.batch.transfers.iter().map(|record| record.id).collect();
        assert_eq!(written, new_ids, "the batch records each new id once, and nothing else");
        assert_eq!(written.len(), applied.batch.transfers.len());
        for record in &applied.batch.transfers {
            assert_eq!(record.result, reference.records[&record.id].1);
            assert_eq!(record.at, at());
        }
        assert_eq!(applied.batch.journal.len(), 2 * accepted, "two journal lines per accepted transfer");
        // One update per changed account (more past ENTRIES_MAX changes), carrying every
        // change of the batch once, so a device sees each version.
        let mut versions = versions_before.clone();
        let mut changes_of: HashMap<AccountId, (usize, usize)> = HashMap::new();
        for update in &applied.updates {
            let changes = update.changes();
            assert!(!changes.is_empty() && changes.len() <= BalanceUpdate::ENTRIES_MAX, "{update:?}");
            let version = versions.get_mut(&update.account).expect("updates only for known accounts");
            assert_eq!(changes[0].version, *version + 1, "versions of {} go up one at a time", update.account);
            *version = update.version;
            assert!(update.balance >= Amount::ZERO);
            let (updates, entries) = changes_of.entry(update.account).or_default();
            (*updates, *entries) = (*updates + 1, *entries + changes.len());
        }
        let entries: usize = changes_of.values().map(|(_, entries)| entries).sum();
        assert_eq!(entries, 2 * accepted, "two changes per accepted transfer, each in one update");
        for (account, (updates, entries)) in changes_of {
            assert_eq!(updates, entries.div_ceil(BalanceUpdate::ENTRIES_MAX), "updates of {account} in one batch");
        }

        store.commit(&applied.batch);

        assert_eq!(store.total_cents(), total, "the total of all balances is conserved");
        for state in store.accounts() {
            let id = &state.id;
            assert!(state.balance >= Amount::ZERO, "{id} is overdrawn");
            assert_eq!((state.balance.cents(), state.version), reference.balances[id], "{id}");
            assert_eq!(state.version, versions[id]);
        }
    }
});
