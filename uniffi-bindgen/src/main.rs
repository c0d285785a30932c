//! `cargo run -p uniffi-bindgen -- generate …`: the generator must be the exact UniFFI
//! version the library was built with, so it lives in the workspace rather than on PATH.

fn main() {
    uniffi::uniffi_bindgen_main();
}
