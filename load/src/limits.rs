//! The open-file limit. Every device is a socket, so a process holding thousands of them
//! needs its soft `RLIMIT_NOFILE` raised to the hard one (often 1,024 soft by default).

use std::io;

use rlimit::Resource;

/// Raises the soft open-file limit to the hard one; returns (soft, hard) afterwards.
/// Children inherit it, so a ledger-service started by `--spawn-ledger` gets it too.
pub fn raise_nofile() -> io::Result<(u64, u64)> {
    let (_, hard) = Resource::NOFILE.get()?;
    Resource::NOFILE.set(hard, hard)?;
    Resource::NOFILE.get()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_soft_limit_ends_at_the_hard_one() {
        let (soft, hard) = super::raise_nofile().unwrap();
        assert_eq!(soft, hard);
    }
}
