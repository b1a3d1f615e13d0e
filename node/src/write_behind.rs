//! Snapshot writes on a thread of their own, so that the replication engine decodes the
//! next batch of a snapshot while the last one is written.
//!
//! A snapshot's bulk write (see `Store::apply_bulk`) takes most of a bootstrap's time,
//! and the engine thread used to do nothing else meanwhile: neither read the frames
//! that kept arriving nor serve its other partners. [`WriteBehind`] wraps a replica and
//! runs each write the engine starts with [`Replica::start_snapshot_write`] on its own
//! thread; the engine waits for it (and only then moves the stream's resume point past
//! it) before it starts the next, before the snapshot's end, and when its connection
//! closes. Every other call goes straight to the replica: the store's writer lock orders
//! them with the write in flight, as if its frames had arrived a little later.
//!
//! ```no_run
//! use std::sync::Arc;
//! use hearsay_node::write_behind::WriteBehind;
//! use hearsay_store::Store;
//! use hearsay_sync::{PeerPolicy, Replicator, SyncConfig};
//!
//! let store = Arc::new(Store::open("/var/lib/hearsay".as_ref(), Default::default())?);
//! let engine = Replicator::new(WriteBehind::new(store), SyncConfig::new(vec![PeerPolicy::open("cert-b")]))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use hearsay_sync::{Applied, Replica, ReplicaError, WireEntry};

type Batches = Vec<Vec<WireEntry>>;
type Report = Result<Applied, ReplicaError>;

/// A replica whose snapshot writes run in the background (see the module doc).
#[derive(Debug)]
pub struct WriteBehind<R> {
    replica: Arc<R>,
    writer: Mutex<Writer>,
}

/// The writing thread (started at the first write, kept for the next: its allocator's
/// memory stays warm), and whether a write is in flight.
#[derive(Debug, Default)]
struct Writer {
    thread: Option<(Sender<Batches>, Receiver<Report>, JoinHandle<()>)>,
    in_flight: bool,
}

impl<R> WriteBehind<R> {
    /// Wraps `replica`.
    pub fn new(replica: Arc<R>) -> Self {
        WriteBehind {
            replica,
            writer: Mutex::new(Writer::default()),
        }
    }

    /// The replica wrapped.
    pub fn inner(&self) -> &Arc<R> {
        &self.replica
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        // Only channels and a flag are kept under the lock: nothing to leave half-updated.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Writer {
    /// The result of the write in flight, if any.
    fn wait(&mut self) -> Report {
        if !std::mem::take(&mut self.in_flight) {
            return Ok(Applied::default());
        }
        match &self.thread {
            Some((_, done, _)) => done.recv().unwrap_or_else(|_| {
                // The thread is gone (it panicked): start another next time.
                self.thread = None;
                Err(ReplicaError("the snapshot writer stopped".into()))
            }),
            None => Ok(Applied::default()),
        }
    }
}

impl<R: Replica + Send + Sync + 'static> Replica for WriteBehind<R> {
    hearsay_sync::forward_replica_reads!(replica);
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        self.replica.apply(entries, complete)
    }
    fn apply_snapshot(&self, batches: Vec<Vec<WireEntry>>) -> Result<Applied, ReplicaError> {
        self.replica.apply_snapshot(batches)
    }
    fn start_snapshot_write(&self, batches: Batches) -> Result<Option<Applied>, ReplicaError> {
        let mut writer = self.writer();
        if writer.in_flight {
            return Err(ReplicaError("a snapshot write is already in flight".into()));
        }
        if writer.thread.is_none() {
            let (jobs, todo) = channel::<Batches>();
            let (report, done) = channel::<Report>();
            let replica = Arc::clone(&self.replica);
            let thread = std::thread::Builder::new()
                .name("snapshot-write".into())
                .spawn(move || {
                    for batches in todo {
                        if report.send(replica.apply_snapshot(batches)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| ReplicaError(format!("no thread for snapshot writes: {e}")))?;
            writer.thread = Some((jobs, done, thread));
        }
        match &writer.thread {
            Some((jobs, _, _)) if jobs.send(batches).is_ok() => {
                writer.in_flight = true;
                Ok(None)
            }
            _ => {
                writer.thread = None;
                Err(ReplicaError("the snapshot writer stopped".into()))
            }
        }
    }
    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        let started = std::time::Instant::now();
        let report = self.writer().wait();
        tracing::debug!(
            waited_ms = started.elapsed().as_millis() as u64,
            "waited for the snapshot write"
        );
        report
    }
    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        self.replica.end_snapshot()
    }
}

impl<R> Drop for WriteBehind<R> {
    /// A write still in flight finishes before the replica may close.
    fn drop(&mut self) {
        let mut writer = self.writer();
        if let Err(e) = writer.wait() {
            tracing::warn!(error = %e, "the last snapshot write failed");
        }
        if let Some((jobs, _, thread)) = writer.thread.take() {
            drop(jobs);
            if thread.join().is_err() {
                tracing::warn!("the snapshot writer panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::{Bailiwick, Entry, Name, RecordKey, RrType};
    use hearsay_store::Store;

    /// `n` entries of origin `cert-a`, in key order.
    fn batch(n: u32) -> Vec<Vec<WireEntry>> {
        let mut entries: Vec<WireEntry> = (0..n)
            .map(|i| WireEntry {
                key: RecordKey::new(
                    Name::from_presentation(&format!("h{i}.example")).unwrap(),
                    RrType::A,
                    Bailiwick::Unknown,
                    i.to_be_bytes().to_vec(),
                )
                .unwrap()
                .encode(),
                origin: "cert-a".into(),
                entry: Entry {
                    time_first: 1,
                    time_last: 2,
                    count: 1,
                    seq: u64::from(i) + 1,
                },
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        vec![entries]
    }

    #[test]
    fn a_write_runs_in_the_background_and_reports_when_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
        let behind = WriteBehind::new(store.clone());
        assert_eq!(behind.start_snapshot_write(batch(5000)).unwrap(), None);
        // One write in flight at most.
        assert!(behind.start_snapshot_write(batch(1)).is_err());
        let report = behind.wait_snapshot_write().unwrap();
        assert_eq!(report.new_records, 5000);
        assert_eq!(store.stats().unwrap().records, 5000);
        // Nothing in flight: an empty report.
        assert_eq!(behind.wait_snapshot_write().unwrap(), Applied::default());
        // The writer thread is kept for the next write.
        assert_eq!(behind.start_snapshot_write(batch(6000)).unwrap(), None);
        assert_eq!(behind.wait_snapshot_write().unwrap().new_records, 1000);
    }

    #[test]
    fn a_write_in_flight_finishes_before_the_wrapper_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
        let behind = WriteBehind::new(store.clone());
        assert_eq!(behind.start_snapshot_write(batch(5000)).unwrap(), None);
        drop(behind);
        assert_eq!(store.stats().unwrap().records, 5000);
        // Only one owner is left: the writer thread's handle is gone too.
        assert_eq!(Arc::strong_count(&store), 1);
    }
}
