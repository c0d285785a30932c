//! What the window shows, every word included: the shell renders it as it is.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::history::{Kind, Message, Row, yes_no};
use super::payload::{DiffLine, Format, diff};
use super::tree::TreeRow;
use super::{ConnectionForm, Granted, Utility};
use crate::app::ConnectionState;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UtilityView {
    /// For the indicator's colour.
    pub connection: ConnectionState,
    /// The core's one wording: `Online`, `Offline: …. Retrying in 2 s`, `Login failed: …`.
    pub connection_text: String,
    pub online: bool,
    pub can_disconnect: bool,
    /// The form as last submitted, without the password, for the fields to start from.
    pub form: ConnectionForm,
    pub connect_error: Option<String>,
    pub subscribe_error: Option<String>,
    pub publish_error: Option<String>,
    pub subscriptions: Vec<SubscriptionRow>,
    /// Oldest first; with scroll lock off the window keeps the newest in sight.
    pub history: Vec<HistoryRow>,
    /// `12 rows`.
    pub history_text: String,
    /// `3 older rows dropped (…)`.
    pub dropped_text: Option<String>,
    pub scroll_lock: bool,
    /// The message opened with View message.
    pub message: Option<MessageView>,
    pub tree: Vec<TreeRow>,
    /// `2 topics`, or that none has had a message yet.
    pub tree_text: String,
    pub tree_untracked_text: Option<String>,
    /// An export's outcome.
    pub notice: Option<String>,
    pub notice_is_error: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubscriptionRow {
    pub filter: String,
    /// `QoS 1 requested`.
    pub requested_text: String,
    /// `Granted QoS 1`, `Waiting for the broker…`, `Denied by the broker`.
    pub status_text: String,
    pub denied: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub id: u64,
    /// `Received`: the seed's Event column.
    pub event: String,
    pub topic: String,
    /// One line: the payload's start, or what happened.
    pub message: String,
    pub qos_text: String,
    /// `yes`, `no`, or empty for events that are not messages.
    pub retained_text: String,
    /// `05:41:22.123`, local time.
    pub time_text: String,
    pub error: bool,
    pub selected: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageView {
    pub id: u64,
    /// `Received on bank/balanceUpdate/00001 at 05:41:22.123, QoS 1, retained`.
    pub title: String,
    pub format: Option<Format>,
    /// `JSON, pretty-printed`, `Text`, `Hex`.
    pub format_text: String,
    pub text: String,
    /// Not UTF-8, or cut short.
    pub note: Option<String>,
    /// What the diff is against, or why there is none.
    pub diff_text: String,
    pub diff: Vec<DiffLine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// A history export, ready for the shell to save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    /// `mqtt-history-20261201-054122.csv`.
    pub file_name: String,
    pub text: String,
    pub rows: usize,
}

impl Utility {
    pub fn view(&self) -> UtilityView {
        let rows = self.history.len();
        UtilityView {
            connection: self.connection.state(),
            connection_text: self.connection.text(),
            online: self.connection.state() == ConnectionState::Online,
            can_disconnect: self.connection.state() != ConnectionState::Disconnected,
            form: ConnectionForm { password: String::new(), ..self.form.clone() },
            connect_error: self.errors.connect.clone(),
            subscribe_error: self.errors.subscribe.clone(),
            publish_error: self.errors.publish.clone(),
            subscriptions: self.subscriptions.iter().map(subscription_row).collect(),
            history: self.history.rows().map(|row| self.history_row(row)).collect(),
            history_text: if rows == 1 { "1 row".into() } else { format!("{rows} rows") },
            dropped_text: self.history.dropped_text(),
            scroll_lock: self.scroll_lock,
            message: self.selected.and_then(|id| self.message_view(id)),
            tree: self.tree.rows(),
            tree_text: match self.tree.len() {
                0 => "No message received yet.".into(),
                1 => "1 topic".into(),
                topics => format!("{topics} topics"),
            },
            tree_untracked_text: self.tree.untracked_text(),
            notice: self.notice.as_ref().map(|(text, _)| text.clone()),
            notice_is_error: self.notice.as_ref().is_some_and(|(_, error)| *error),
        }
    }

    /// The history as a file's text. `at` names the file.
    pub fn export(&self, format: ExportFormat, at: DateTime<Utc>) -> Export {
        let stamp = at.with_timezone(&self.utc_offset).format("%Y%m%d-%H%M%S");
        let (extension, text) = match format {
            ExportFormat::Csv => ("csv", self.history.to_csv()),
            ExportFormat::Json => ("json", self.history.to_json()),
        };
        Export { file_name: format!("mqtt-history-{stamp}.{extension}"), text, rows: self.history.len() }
    }

    fn history_row(&self, row: &Row) -> HistoryRow {
        HistoryRow {
            id: row.id,
            event: row.kind.text().into(),
            topic: row.topic.clone(),
            message: match &row.message {
                Message::Payload(payload) => payload.preview(),
                Message::Note(note) => note.clone(),
            },
            qos_text: row.qos.map(|qos| qos.to_string()).unwrap_or_default(),
            retained_text: row.retained.map(yes_no).unwrap_or_default().into(),
            time_text: self.time(row.at),
            error: row.kind == Kind::Error,
            selected: self.selected == Some(row.id),
        }
    }

    fn message_view(&self, id: u64) -> Option<MessageView> {
        let row = self.history.get(id)?;
        let mut title = format!("{} at {}", row.kind.text(), self.time(row.at));
        if !row.topic.is_empty() {
            title = format!("{} on {} at {}", row.kind.text(), row.topic, self.time(row.at));
        }
        if let Some(qos) = row.qos {
            title.push_str(&format!(", QoS {qos}"));
        }
        if row.retained == Some(true) {
            title.push_str(", retained");
        }
        let Some(payload) = row.payload() else {
            let Message::Note(text) = &row.message else { return None };
            let (format, format_text, diff_text) = (None, String::new(), String::new());
            return Some(MessageView {
                id,
                title,
                format,
                format_text,
                text: text.clone(),
                note: None,
                diff_text,
                diff: vec![],
            });
        };
        let shown = payload.full();
        let (diff_text, lines) = match self.history.previous(id).and_then(Row::payload) {
            None => ("No earlier message on this topic in the history to compare with.".into(), Vec::new()),
            Some(previous) if previous == payload => ("Same as the previous message on this topic.".into(), Vec::new()),
            Some(previous) => {
                let at = self.history.previous(id).map(|row| self.time(row.at)).unwrap_or_default();
                (
                    format!("Changes since the previous message on this topic, at {at}:"),
                    diff(&previous.full().text, &shown.text),
                )
            }
        };
        Some(MessageView {
            id,
            title,
            format: Some(shown.format),
            format_text: match shown.format {
                Format::Json => "JSON, pretty-printed".into(),
                Format::Text => "Text".into(),
                Format::Hex => "Hex".into(),
            },
            text: shown.text,
            note: shown.note,
            diff_text,
            diff: lines,
        })
    }

    /// `05:41:22.123`: a client utility needs the seconds.
    fn time(&self, at: DateTime<Utc>) -> String {
        local(at, self.utc_offset).format("%H:%M:%S%.3f").to_string()
    }
}

fn local(at: DateTime<Utc>, offset: FixedOffset) -> DateTime<FixedOffset> {
    at.with_timezone(&offset)
}

fn subscription_row(subscription: &super::Subscription) -> SubscriptionRow {
    SubscriptionRow {
        filter: subscription.filter.clone(),
        requested_text: format!("QoS {} requested", subscription.requested),
        status_text: match subscription.granted {
            Granted::Waiting => "Waiting for the broker…".into(),
            Granted::Qos(qos) => format!("Granted QoS {qos}"),
            Granted::Denied => "Denied by the broker".into(),
            Granted::Unsubscribing => "Unsubscribing…".into(),
        },
        denied: subscription.granted == Granted::Denied,
    }
}
