//! What /proc says about the ledger: its memory and threads, and which process listens
//! on a port (so `--ledger-pid` is optional).

use std::fs;

/// From /proc/PID/status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStatus {
    pub rss_kib: u64,
    /// The peak resident set since the process started (VmHWM).
    pub rss_peak_kib: u64,
    pub threads: u64,
}

/// Processes looked at when searching for a port's owner.
const PROCESSES_MAX: usize = 100_000;
/// Open files looked at per process.
const FDS_PER_PROCESS_MAX: usize = 100_000;

pub fn status(pid: u32) -> Option<ProcStatus> {
    parse_status(&fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

pub fn parse_status(text: &str) -> Option<ProcStatus> {
    let field = |name: &str| {
        let line = text.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse::<u64>().ok()
    };
    Some(ProcStatus { rss_kib: field("VmRSS:")?, rss_peak_kib: field("VmHWM:")?, threads: field("Threads:")? })
}

/// Dead, or dead and not yet reaped by its parent: its sockets are closed either way.
pub fn is_gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Whether any TCP socket on this machine listens on `port`.
pub fn is_listening(port: u16) -> bool {
    !listening_sockets(port).is_empty()
}

fn listening_sockets(port: u16) -> Vec<u64> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .flat_map(|table| listening_inodes(&table, port))
        .collect()
}

/// The process with a TCP socket listening on `port`, if this user may see it.
pub fn listener_pid(port: u16) -> Option<u32> {
    let inodes = listening_sockets(port);
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|inode| format!("socket:[{inode}]")).collect();
    fs::read_dir("/proc").ok()?.flatten().take(PROCESSES_MAX).find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        holds_any(pid, &wanted).then_some(pid)
    })
}

fn holds_any(pid: u32, sockets: &[String]) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().take(FDS_PER_PROCESS_MAX).any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| sockets.iter().any(|socket| target.as_os_str() == socket.as_str()))
    })
}

/// Inodes of sockets in LISTEN state (0A) on `port`, from /proc/net/tcp or tcp6.
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let port_hex = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
            (local.ends_with(&port_hex) && *state == "0A").then(|| inode.parse().ok())?
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_rss_peak_and_threads() {
        let text = "Name:\tledger-service\nVmHWM:\t  40960 kB\nVmRSS:\t   30720 kB\nThreads:\t7\n";
        assert_eq!(parse_status(text), Some(ProcStatus { rss_kib: 30720, rss_peak_kib: 40960, threads: 7 }));
        assert_eq!(parse_status("Name:\tx\n"), None);
        let own = status(std::process::id()).unwrap();
        assert!(own.rss_kib > 0 && own.rss_peak_kib >= own.rss_kib && own.threads >= 1);
    }

    #[test]
    fn listening_sockets_are_found_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
             0: 0100007F:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n   \
             1: 0100007F:075B 0200007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0\n";
        assert_eq!(listening_inodes(table, 1883), vec![4242]);
        assert!(listening_inodes(table, 1884).is_empty());
    }

    #[test]
    fn this_process_is_found_as_the_owner_of_its_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(listener_pid(port), Some(std::process::id()));
        assert!(is_listening(port));
        drop(listener);
        assert!(!is_listening(port));
        assert!(!is_gone(std::process::id()));
    }
}
