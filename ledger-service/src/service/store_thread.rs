//! The SQLite store, owned by a thread of its own. The async worker sends it work and
//! awaits the answer, so the store is never moved across an await nor borrowed by two
//! tasks, and a slow fsync never blocks the async runtime.

use std::sync::mpsc;

use tokio::sync::oneshot;

use super::ServiceError;
use crate::ledger::SqliteStore;

type Job = Box<dyn FnOnce(&mut SqliteStore) + Send>;

/// The worker runs one job at a time and awaits each, so one slot is all the queue needs.
const JOBS_QUEUED_MAX: usize = 1;

pub struct StoreThread {
    jobs: mpsc::SyncSender<Job>,
}

impl StoreThread {
    /// The thread ends, and closes the store, when this value is dropped.
    pub fn start(mut store: SqliteStore) -> Result<StoreThread, ServiceError> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(JOBS_QUEUED_MAX);
        std::thread::Builder::new()
            .name("ledger-store".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job(&mut store);
                }
            })
            .map_err(|error| ServiceError::Setup(format!("cannot start the ledger's database thread: {error}")))?;
        Ok(StoreThread { jobs })
    }

    /// Runs `work` on the store's thread and returns what it returns.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut SqliteStore) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = answer.send(work(store));
        });
        self.jobs.send(job).map_err(|_| ServiceError::StoreLost)?;
        answered.await.map_err(|_| ServiceError::StoreLost)
    }
}
