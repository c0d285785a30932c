//! Every topic a message arrived on, as a tree of levels, with each topic's latest value
//! and its retained one. Bounded: past [`TOPICS_MAX`] topics, new ones are only counted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::payload::Payload;

pub const TOPICS_MAX: usize = 500;
/// Each topic keeps the start of its values; the history row has more.
const VALUE_BYTES_MAX: usize = 1024;

struct Node {
    latest: Payload,
    /// The value the broker keeps for new subscribers, as it last replayed it.
    retained: Option<Payload>,
    messages: u64,
}

#[derive(Default)]
pub struct Tree {
    topics: BTreeMap<String, Node>,
    /// Topics not added because the tree was full.
    untracked: u64,
}

/// One line of the tree: a level, indented by `depth`; `topic` is set where messages arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TreeRow {
    pub depth: usize,
    /// The level's name: `balanceUpdate`, `00001`.
    pub name: String,
    pub topic: Option<String>,
    pub value_text: String,
    /// `Retained: {…}`, when the broker replayed a retained value.
    pub retained_text: Option<String>,
    /// `3 messages`.
    pub messages_text: String,
}

impl Tree {
    pub fn receive(&mut self, topic: &str, payload: &[u8], retained: bool) {
        let value = Payload::new(&payload[..payload.len().min(VALUE_BYTES_MAX)]);
        let value = Payload { bytes: payload.len(), ..value };
        if let Some(node) = self.topics.get_mut(topic) {
            node.messages += 1;
            if retained {
                node.retained = Some(value.clone());
            }
            node.latest = value;
            return;
        }
        if self.topics.len() >= TOPICS_MAX {
            self.untracked += 1;
            return;
        }
        let retained = retained.then(|| value.clone());
        self.topics.insert(topic.to_string(), Node { latest: value, retained, messages: 1 });
    }

    pub fn clear(&mut self) {
        self.topics.clear();
        self.untracked = 0;
    }

    /// Depth first, levels in order; a level shared by several topics is shown once.
    pub fn rows(&self) -> Vec<TreeRow> {
        let mut rows = Vec::new();
        let mut previous: Vec<&str> = Vec::new();
        // By level, so `a/b/c` follows `a/b` even with `a/b-x` between them as strings.
        let mut topics: Vec<_> = self.topics.iter().collect();
        topics.sort_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')));
        for (topic, node) in topics {
            let levels: Vec<&str> = topic.split('/').collect();
            let shared = previous.iter().zip(&levels).take_while(|(a, b)| a == b).count();
            for (depth, level) in levels.iter().enumerate().skip(shared) {
                let last = depth + 1 == levels.len();
                rows.push(match last {
                    true => leaf(depth, level, topic, node),
                    false => TreeRow {
                        depth,
                        name: level.to_string(),
                        topic: None,
                        value_text: String::new(),
                        retained_text: None,
                        messages_text: String::new(),
                    },
                });
            }
            // A topic that is also a prefix of later ones (`a` and `a/b`) must not repeat `a`.
            previous = levels;
        }
        rows
    }

    /// `3 messages on further topics not shown (…)`.
    pub fn untracked_text(&self) -> Option<String> {
        (self.untracked > 0).then(|| {
            format!("{} messages on further topics not shown (the tree keeps {TOPICS_MAX} topics).", self.untracked)
        })
    }

    pub fn len(&self) -> usize {
        self.topics.len()
    }
}

fn leaf(depth: usize, level: &str, topic: &str, node: &Node) -> TreeRow {
    let messages = node.messages;
    TreeRow {
        depth,
        name: level.to_string(),
        topic: Some(topic.to_string()),
        value_text: node.latest.preview(),
        retained_text: node.retained.as_ref().map(|value| format!("Retained: {}", value.preview())),
        messages_text: if messages == 1 { "1 message".into() } else { format!("{messages} messages") },
    }
}
