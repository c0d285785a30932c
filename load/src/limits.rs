//! The open-file limit. Every device is a socket, so a process holding thousands of them
//! needs its soft `RLIMIT_NOFILE` raised to the hard one (often 1,024 soft by default).

use std::io;

/// Raises the soft open-file limit to the hard one; returns (soft, hard) afterwards.
/// Children inherit it, so a ledger-service started by `--spawn-ledger` gets it too.
pub fn raise_nofile() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                return Err(io::Error::last_os_error());
            }
            limit = raised;
        }
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_soft_limit_ends_at_the_hard_one() {
        let (soft, hard) = super::raise_nofile().unwrap();
        assert_eq!(soft, hard);
    }
}
