//! Where the CPU goes during a run: each process's threads' user + system time from
//! `/proc/PID/task/*/stat`, grouped by thread name, so the table can say what bounds a
//! rate on two cores (the processes together can use at most 2 × the wall time).

use std::collections::BTreeMap;
use std::time::Instant;

/// Linux reports thread times in clock ticks of 1/100 s (`getconf CLK_TCK`).
const TICKS_PER_S: f64 = 100.0;

pub struct Watch {
    processes: Vec<(&'static str, u32, BTreeMap<String, u64>)>,
    started: Instant,
}

impl Watch {
    pub fn start(processes: &[(&'static str, u32)]) -> Watch {
        let processes = processes.iter().map(|&(label, pid)| (label, pid, ticks(pid))).collect();
        Watch { processes, started: Instant::now() }
    }

    /// "label: group s, …" for every process, over the wall time since `start`, and the
    /// CPU seconds of all of them together.
    pub fn finish(self) -> (String, f64) {
        let wall_s = self.started.elapsed().as_secs_f64();
        let mut parts = Vec::new();
        let mut total_ticks = 0;
        for (label, pid, before) in self.processes {
            let after = ticks(pid);
            total_ticks += after.values().sum::<u64>() - before.values().sum::<u64>();
            let used: Vec<String> = after
                .iter()
                .map(|(group, ticks)| (group, ticks - before.get(group).copied().unwrap_or(0)))
                .filter(|(_, ticks)| *ticks > 0)
                .map(|(group, ticks)| format!("{group} {:.2}", ticks as f64 / TICKS_PER_S))
                .collect();
            parts.push(format!("{label}: {}", used.join(", ")));
        }
        let summary = format!("{} in {wall_s:.2} s wall (2 cores: {:.2} CPU-s)", parts.join("; "), 2.0 * wall_s);
        (summary, total_ticks as f64 / TICKS_PER_S)
    }
}

/// CPU ticks per thread group of a process.
fn ticks(pid: u32) -> BTreeMap<String, u64> {
    let mut groups = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return groups };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // The name is in parentheses and may hold spaces; the fields after it are fixed.
        let Some((head, rest)) = stat.rsplit_once(')') else { continue };
        let name = head.split_once('(').map_or("", |(_, name)| name);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(user), Some(system)) = (fields.get(11), fields.get(12)) else { continue };
        let used = user.parse::<u64>().unwrap_or(0) + system.parse::<u64>().unwrap_or(0);
        *groups.entry(group(name)).or_insert(0) += used;
    }
    groups
}

fn group(thread: &str) -> String {
    match thread {
        t if t.starts_with("tokio-r") => "async".into(),
        t if t.starts_with("ledger-store") => "store".into(),
        other => other.to_string(),
    }
}
