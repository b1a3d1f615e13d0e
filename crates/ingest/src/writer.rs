//! The store writer: a dedicated thread that applies aggregation windows to the store,
//! so capture and parsing never wait on disk.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use hearsay_record::Sighting;
use hearsay_store::Store;
use serde::Serialize;

/// One window's content.
pub type WindowBatch = Vec<(Box<[u8]>, Sighting)>;

/// What the writer writes.
#[derive(Debug)]
enum Job {
    Records(WindowBatch),
    Nxdomain(WindowBatch),
}

/// Counters of the writer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Batches committed.
    pub batches: u64,
    /// Records written (distinct per batch).
    pub records: u64,
    /// Records that were new to the store.
    pub new_records: u64,
    /// Batches that failed to commit.
    pub errors: u64,
    /// Batches dropped because the writer was behind (live capture only).
    pub dropped_batches: u64,
    /// Records in dropped batches.
    pub dropped_records: u64,
    /// NXDOMAIN name sightings written (distinct per window).
    pub nxdomain_names: u64,
    /// The last commit error, if any.
    pub last_error: Option<String>,
}

/// Handle to the writer thread.
#[derive(Debug)]
pub struct StoreWriter {
    tx: Option<SyncSender<Job>>,
    stats: Arc<Mutex<WriterStats>>,
    thread: Option<JoinHandle<()>>,
}

impl StoreWriter {
    /// Starts the writer thread with a queue of `queue` windows.
    pub fn spawn(store: Arc<Store>, queue: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Job>(queue.max(1));
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(store, rx, thread_stats))?;
        Ok(StoreWriter {
            tx: Some(tx),
            stats,
            thread: Some(thread),
        })
    }

    /// A writer with no thread (what a finished pipeline holds).
    pub fn closed() -> Self {
        StoreWriter {
            tx: None,
            stats: Arc::default(),
            thread: None,
        }
    }

    /// Queues a batch, waiting for room (file import: lose nothing).
    pub fn send(&self, batch: WindowBatch) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        if let Some(tx) = &self.tx
            && tx.send(Job::Records(batch)).is_err()
        {
            self.count_drop(n);
        }
    }

    /// Queues a batch if there is room, else drops and counts it (live capture: never
    /// block the capture thread). Returns whether it was queued.
    pub fn try_send(&self, batch: WindowBatch) -> bool {
        if batch.is_empty() {
            return true;
        }
        let n = batch.len() as u64;
        match self.tx.as_ref().map(|tx| tx.try_send(Job::Records(batch))) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                self.count_drop(n);
                false
            }
        }
    }

    /// Queues NXDOMAIN sightings (waiting for room: they are small).
    pub fn send_nxdomain(&self, batch: WindowBatch) {
        if batch.is_empty() {
            return;
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job::Nxdomain(batch));
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> WriterStats {
        lock(&self.stats).clone()
    }

    /// Waits for every queued batch to be written and stops the thread.
    pub fn finish(mut self) -> WriterStats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("store writer thread panicked");
        }
    }

    fn count_drop(&self, records: u64) {
        let mut s = lock(&self.stats);
        s.dropped_batches += 1;
        s.dropped_records += records;
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(m: &Mutex<WriterStats>) -> std::sync::MutexGuard<'_, WriterStats> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(store: Arc<Store>, rx: Receiver<Job>, stats: Arc<Mutex<WriterStats>>) {
    for job in rx {
        let batch = match job {
            Job::Records(batch) => batch,
            Job::Nxdomain(batch) => {
                let n = batch.len() as u64;
                match store.apply_nxdomain(batch) {
                    Ok(_) => lock(&stats).nxdomain_names += n,
                    Err(e) => {
                        tracing::error!(error = %e, "writing NXDOMAIN names failed");
                        let mut s = lock(&stats);
                        s.errors += 1;
                        s.last_error = Some(e.to_string());
                    }
                }
                continue;
            }
        };
        let n = batch.len() as u64;
        let result = store.apply_local(batch);
        let mut s = lock(&stats);
        match result {
            Ok(report) => {
                tracing::debug!(records = n, new = report.new_records, "window written");
                s.batches += 1;
                s.records += n;
                s.new_records += report.new_records;
            }
            Err(e) => {
                tracing::error!(error = %e, records = n, "writing a window to the store failed");
                s.errors += 1;
                s.last_error = Some(e.to_string());
            }
        }
    }
}
