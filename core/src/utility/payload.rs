//! A payload as a person reads it. Payloads are untrusted bytes of any size: only the
//! first [`KEPT_BYTES_MAX`] are kept, text that is not UTF-8 is shown as hex with a note
//! saying so, and JSON is pretty-printed.

use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// Kept per history row: 1,000 rows hold at most 16 MB.
pub const KEPT_BYTES_MAX: usize = 16 * 1024;
/// The history table's one-line preview.
pub const PREVIEW_CHARS_MAX: usize = 120;
/// A diff that takes longer falls back to a coarser one; it never blocks the window.
const DIFF_TIMEOUT: Duration = Duration::from_millis(50);
const DIFF_LINES_MAX: usize = 2000;
const HEX_PREVIEW_BYTES_MAX: usize = 32;

/// The first bytes of a payload, and how long it really was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub kept: Vec<u8>,
    pub bytes: usize,
}

impl Payload {
    pub fn new(bytes: &[u8]) -> Payload {
        Payload { kept: bytes[..bytes.len().min(KEPT_BYTES_MAX)].to_vec(), bytes: bytes.len() }
    }

    pub fn is_truncated(&self) -> bool {
        self.kept.len() < self.bytes
    }

    fn utf8(&self) -> Option<&str> {
        match std::str::from_utf8(&self.kept) {
            Ok(text) => Some(text),
            // Cut inside a character by the bound: the text up to it is still text.
            Err(error) if self.is_truncated() && error.error_len().is_none() => {
                std::str::from_utf8(&self.kept[..error.valid_up_to()]).ok()
            }
            Err(_) => None,
        }
    }

    /// One line for the history table.
    pub fn preview(&self) -> String {
        match self.utf8() {
            Some(text) => {
                let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
                shorten(line.trim(), PREVIEW_CHARS_MAX)
            }
            None => {
                let shown = &self.kept[..self.kept.len().min(HEX_PREVIEW_BYTES_MAX)];
                let more = if self.bytes > shown.len() { " …" } else { "" };
                format!("{}{more} (binary, {} bytes)", hex(shown), self.bytes)
            }
        }
    }

    /// The whole kept payload: JSON pretty-printed, other text as it is, binary as hex.
    pub fn full(&self) -> Shown {
        let truncated = self
            .is_truncated()
            .then(|| format!("Showing the first {} of {} bytes; the rest was not kept.", self.kept.len(), self.bytes));
        let Some(text) = self.utf8() else {
            let note = "Not UTF-8 text: shown as hex bytes.".to_string();
            let notes = [Some(note), truncated].into_iter().flatten().collect::<Vec<_>>().join(" ");
            return Shown { format: Format::Hex, text: hex_dump(&self.kept), note: Some(notes) };
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) if !self.is_truncated() => {
                let pretty = serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.to_string());
                Shown { format: Format::Json, text: pretty, note: None }
            }
            _ => Shown { format: Format::Text, text: text.to_string(), note: truncated },
        }
    }

    /// For export: text as it is, anything else as hex.
    pub fn export_text(&self) -> (String, &'static str) {
        match self.utf8() {
            Some(text) => (text.to_string(), "utf-8"),
            None => (hex(&self.kept), "hex"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    Json,
    Text,
    Hex,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub format: Format,
    pub text: String,
    pub note: Option<String>,
}

/// One line of a diff: `+` added, `-` removed, ` ` the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub sign: String,
    pub text: String,
}

/// The lines that changed from `old` to `new`, with the unchanged ones for context.
pub fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(old, new);
    diff.iter_all_changes()
        .take(DIFF_LINES_MAX)
        .map(|change| DiffLine {
            sign: match change.tag() {
                ChangeTag::Delete => "-",
                ChangeTag::Insert => "+",
                ChangeTag::Equal => " ",
            }
            .into(),
            text: change.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}

pub fn shorten(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" ")
}

/// 16 bytes a line, with the offset first: `0010  de ad be ef …`.
fn hex_dump(bytes: &[u8]) -> String {
    let lines = bytes.chunks(16).enumerate().map(|(index, chunk)| format!("{:04x}  {}", index * 16, hex(chunk)));
    lines.collect::<Vec<_>>().join("\n")
}
