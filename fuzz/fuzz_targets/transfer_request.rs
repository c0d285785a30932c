//! `parse_transfer_request` on any payload, from any payer: it never panics, every refusal
//! says why, and every accepted request obeys the documented limits and round-trips.
#![no_main]

use bank_protocol::{AccountId, Amount, MEMO_CHARS_MAX, PAYLOAD_BYTES_MAX, Reason, parse_transfer_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte picks the payer (`1` is 00001), so that `to == payer` is easy to hit.
    let Some((&first, payload)) = input.split_first() else { return };
    let payer = AccountId::parse(&format!("0000{}", first.wrapping_sub(b'0') % 10)).unwrap();
    match parse_transfer_request(payer, payload) {
        Ok(request) => {
            assert!(payload.len() <= PAYLOAD_BYTES_MAX);
            assert_ne!(request.to, payer, "same_account must be refused");
            assert!(request.amount > Amount::ZERO && request.amount <= Amount::TRANSFER_MAX, "{:?}", request.amount);
            if let Some(memo) = &request.memo {
                assert!(!memo.is_empty(), "an empty memo is no memo");
                assert!(memo.chars().count() <= MEMO_CHARS_MAX);
                assert!(!memo.chars().any(char::is_control));
            }
            let json = request.to_json();
            assert_eq!(parse_transfer_request(payer, &json).as_ref(), Ok(&request), "round trip through JSON");
            let amount = request.amount.to_string();
            assert_eq!(Amount::parse_transfer(&amount), Ok(request.amount), "amount round trip");
        }
        Err(bad) => {
            assert!(!bad.message.is_empty(), "every refusal says why");
            if bad.id.is_none() {
                assert_eq!(bad.reason, Reason::MalformedRequest, "an unreadable id is malformed: {bad:?}");
            }
            assert_ne!(bad.reason, Reason::InsufficientFunds);
            assert_ne!(bad.reason, Reason::IdConflict);
        }
    }
});
