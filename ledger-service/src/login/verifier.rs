//! Argon2 password checks on a small pool of their own.
//!
//! Argon2 is slow and memory-hard on purpose (19 MiB per check with the default
//! parameters). Run on tokio's blocking pool, every concurrent CONNECT grew that pool by a
//! thread whose allocator arena kept its 19 MiB, up to 512 threads: about 16 MiB of RSS per
//! device, right password or wrong, until the OOM killer ended the service. Here at most
//! one check per core runs at once, each thread reuses one buffer for every check, and the
//! queue in front of them is bounded: past it, a login is refused at once as "busy".

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// Checks waiting for a thread; more than this and the newcomer is refused as busy.
/// At ~20 ms a check on one core, a full queue drains in well under a second per core.
pub const QUEUED_CHECKS_MAX: usize = 64;
/// Salts longer than this are refused; PHC strings from `hash-password` use 16 bytes.
const SALT_BYTES_MAX: usize = 64;

struct Check {
    phc: String,
    password: Vec<u8>,
    answer: oneshot::Sender<bool>,
}

/// Why a check did not run.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

pub struct Verifier {
    queue: SyncSender<Check>,
    threads: usize,
}

impl Verifier {
    /// Starts one thread per core (at least one).
    pub fn start() -> Verifier {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        Verifier::with_threads(threads)
    }

    pub fn with_threads(threads: usize) -> Verifier {
        assert!(threads > 0, "a verifier needs a thread");
        let (queue, checks) = sync_channel(QUEUED_CHECKS_MAX);
        let checks = Arc::new(Mutex::new(checks));
        for index in 0..threads {
            let checks = checks.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || serve(&checks))
                .expect("the OS refused to start a password-check thread");
        }
        Verifier { queue, threads }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether `password` matches the Argon2 PHC string `phc`. `Err(Busy)` at once when
    /// the queue is full.
    pub async fn verify(&self, phc: &str, password: &[u8]) -> Result<bool, Busy> {
        let (answer, answered) = oneshot::channel();
        let check = Check { phc: phc.to_string(), password: password.to_vec(), answer };
        match self.queue.try_send(check) {
            Ok(()) => Ok(answered.await.unwrap_or(false)),
            Err(TrySendError::Full(_)) => Err(Busy),
            Err(TrySendError::Disconnected(_)) => unreachable!("verifier threads never exit while the queue lives"),
        }
    }
}

fn serve(checks: &Mutex<Receiver<Check>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let next = checks.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(check) = next else { return };
        let matches = matches(&check.phc, &check.password, &mut memory);
        let _ = check.answer.send(matches);
    }
}

/// Argon2 verification into a reused buffer, so a thread's memory stays at one check's.
pub fn matches(phc: &str, password: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let mut salt_bytes = [0u8; SALT_BYTES_MAX];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut computed = vec![0u8; expected.len()];
    memory.resize(params.block_count(), Block::default());
    let argon2 = Argon2::new(algorithm, version, params);
    if argon2.hash_password_into_with_memory(password, salt, &mut computed, &mut memory[..]).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&computed).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checks_passwords_like_the_reference_verifier() {
        let phc = crate::config::hash_password("s3cret").unwrap();
        let verifier = Verifier::with_threads(1);
        assert_eq!(verifier.verify(&phc, b"s3cret").await, Ok(true));
        assert_eq!(verifier.verify(&phc, b"s3cre").await, Ok(false));
        assert_eq!(verifier.verify("not a hash", b"s3cret").await, Ok(false));
        let memory = &mut Vec::new();
        assert!(matches(&phc, b"s3cret", memory));
        assert_eq!(memory.len(), Params::DEFAULT_M_COST as usize, "one reused buffer of m KiB blocks");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let phc = crate::config::hash_password("s3cret").unwrap();
        let verifier = Arc::new(Verifier::with_threads(1));
        let checks: Vec<_> = (0..QUEUED_CHECKS_MAX * 2)
            .map(|_| {
                let (verifier, phc) = (verifier.clone(), phc.clone());
                tokio::spawn(async move { verifier.verify(&phc, b"wrong").await })
            })
            .collect();
        let mut busy = 0;
        for check in checks {
            busy += usize::from(check.await.unwrap() == Err(Busy));
        }
        assert!(busy >= QUEUED_CHECKS_MAX / 2, "{busy} of {} refused as busy", QUEUED_CHECKS_MAX * 2);
    }
}
