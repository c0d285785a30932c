//! `parse_history_request` on any payload: it never panics, limits are clamped to
//! 1..=HISTORY_LIMIT_MAX, refusals are `malformed_request` with a message, and accepted
//! requests round-trip through the JSON a device sends.
#![no_main]

use bank_protocol::{HISTORY_LIMIT_MAX, Reason, parse_history_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    match parse_history_request(payload) {
        Ok(request) => {
            assert!((1..=HISTORY_LIMIT_MAX).contains(&request.limit), "{request:?}");
            let json = serde_json::to_vec(&request).unwrap();
            assert_eq!(parse_history_request(&json).as_ref(), Ok(&request));
        }
        Err(bad) => {
            assert_eq!((bad.id, bad.reason), (None, Reason::MalformedRequest));
            assert!(!bad.message.is_empty());
        }
    }
});
