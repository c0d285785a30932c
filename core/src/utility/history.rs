//! The client history: the seed's table (Event, Topic, Message, QoS, Retained, Time),
//! bounded to [`ROWS_MAX`] rows with the oldest dropped and counted, and its export to
//! CSV (quoted by the `csv` crate) and JSON.

use std::collections::VecDeque;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::payload::Payload;

pub const ROWS_MAX: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Kind {
    Connected,
    Subscribed,
    Unsubscribed,
    Published,
    Received,
    Disconnected,
    Error,
}

impl Kind {
    pub fn text(self) -> &'static str {
        match self {
            Kind::Connected => "Connected",
            Kind::Subscribed => "Subscribed",
            Kind::Unsubscribed => "Unsubscribed",
            Kind::Published => "Published",
            Kind::Received => "Received",
            Kind::Disconnected => "Disconnected",
            Kind::Error => "Error",
        }
    }
}

/// A message's payload, or the words of an event that has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Payload(Payload),
    Note(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Unique for the model's life, so a selection survives rows dropped before it.
    pub id: u64,
    pub kind: Kind,
    pub topic: String,
    pub message: Message,
    pub qos: Option<u8>,
    pub retained: Option<bool>,
    pub at: DateTime<Utc>,
}

impl Row {
    pub fn payload(&self) -> Option<&Payload> {
        match &self.message {
            Message::Payload(payload) => Some(payload),
            Message::Note(_) => None,
        }
    }
}

/// What a row is before it has its id.
pub struct Entry {
    pub kind: Kind,
    pub topic: String,
    pub message: Message,
    pub qos: Option<u8>,
    pub retained: Option<bool>,
}

impl Entry {
    pub fn note(kind: Kind, topic: &str, note: String) -> Entry {
        Entry { kind, topic: topic.into(), message: Message::Note(note), qos: None, retained: None }
    }
}

#[derive(Default)]
pub struct History {
    rows: VecDeque<Row>,
    next_id: u64,
    dropped: u64,
}

impl History {
    pub fn push(&mut self, entry: Entry, at: DateTime<Utc>) -> u64 {
        if self.rows.len() == ROWS_MAX {
            self.rows.pop_front();
            self.dropped += 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        let Entry { kind, topic, message, qos, retained } = entry;
        self.rows.push_back(Row { id, kind, topic, message, qos, retained, at });
        id
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.dropped = 0;
    }

    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &Row> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn get(&self, id: u64) -> Option<&Row> {
        // Ids grow with position, so a binary search finds it.
        let index = self.rows.binary_search_by_key(&id, |row| row.id).ok()?;
        self.rows.get(index)
    }

    /// The message before row `id` of the same event on the same topic, for a diff.
    pub fn previous(&self, id: u64) -> Option<&Row> {
        let row = self.get(id)?;
        let earlier = self.rows.iter().rev().skip_while(|other| other.id >= id);
        earlier
            .filter(|other| other.kind == row.kind && other.topic == row.topic)
            .find(|other| other.payload().is_some())
    }

    /// `12 older rows dropped (the history keeps 1,000).`
    pub fn dropped_text(&self) -> Option<String> {
        (self.dropped > 0).then(|| format!("{} older rows dropped (the history keeps the newest 1,000).", self.dropped))
    }

    /// The seed's columns, one row per line, every field quoted as CSV needs it.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = ["Event", "Topic", "Message", "QoS", "Retained", "Time"];
        // Writing to memory cannot fail.
        let _ = writer.write_record(header);
        for row in &self.rows {
            let exported = Exported::of(row);
            let qos = exported.qos.map(|qos| qos.to_string()).unwrap_or_default();
            let retained = exported.retained.map(yes_no).unwrap_or_default();
            let _ =
                writer.write_record([exported.event, &row.topic, &exported.message, &qos, retained, &exported.time]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Every row as an object, with the payload's encoding and full length.
    pub fn to_json(&self) -> String {
        let rows: Vec<Exported> = self.rows.iter().map(Exported::of).collect();
        serde_json::to_string_pretty(&rows).unwrap_or_default()
    }
}

pub fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

#[derive(Serialize)]
struct Exported<'a> {
    event: &'static str,
    topic: &'a str,
    message: String,
    /// `utf-8`, `hex` (not UTF-8), or `note` (an event's words, not a payload).
    encoding: &'static str,
    /// The payload's real length; the message holds at most the kept part.
    bytes: Option<usize>,
    qos: Option<u8>,
    retained: Option<bool>,
    time: String,
}

impl Exported<'_> {
    fn of(row: &Row) -> Exported<'_> {
        let (message, encoding, bytes) = match &row.message {
            Message::Payload(payload) => {
                let (text, encoding) = payload.export_text();
                (text, encoding, Some(payload.bytes))
            }
            Message::Note(note) => (note.clone(), "note", None),
        };
        Exported {
            event: row.kind.text(),
            topic: &row.topic,
            message,
            encoding,
            bytes,
            qos: row.qos,
            retained: row.retained,
            time: row.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }
}
