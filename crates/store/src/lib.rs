//! # hearsay-store
//!
//! The node's database, on [fjall](https://docs.rs/fjall): an LSM tree with keyspaces and
//! cross-keyspace atomic batches. Four keyspaces (see DESIGN.md, "Store"):
//!
//! * `records` — record key ([`hearsay_record::RecordKey`] encoding) → per-origin
//!   entries ([`hearsay_record::RecordValue`]);
//! * `rdata` — the reverse index (addresses, target names, raw rdata hashes) → record key;
//! * `nxdomain` — optionally, names answered NXDOMAIN (reversed name | qtype → first,
//!   last, count), local to the node and kept apart from the records;
//! * `names` — every owner name in forward (wire) order, for right-hand wildcards
//!   (`www.example.*`), one line per name however many records it owns;
//! * `log` — `(origin, seq)` → record key, what replication catches up from; an entry
//!   superseded by a newer seq of the same origin for the same record is deleted in
//!   the same batch, so the log holds one line per (record, origin);
//! * `meta` — schema version, the local origin, the origin table, the version vector and
//!   per-type record counters.
//!
//! Every write ([`Store::apply_local`], [`Store::apply_remote`]) is one atomic batch
//! across the keyspaces: a crash loses at most what was not yet written, never half a
//! batch, and replaying input is harmless because merging is idempotent. The one
//! exception, [`Store::apply_bulk`] for snapshots, writes whole tables and is ordered so
//! that a crash in the middle leaves only rows every reader skips (see its module). The API is
//! blocking (fjall is); async callers must use a dedicated thread or `spawn_blocking`.
//!
//! ```
//! use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
//! use hearsay_store::Store;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), Default::default())?;
//! let key = RecordKey::new(Name::from_presentation("www.example.com")?, RrType::A,
//!                          Bailiwick::Unknown, vec![192, 0, 2, 1])?.encode();
//! store.apply_local(vec![(key.clone(), Sighting { time_first: 10, time_last: 20, count: 3 })])?;
//! let value = store.view().get(&key)?.expect("stored");
//! assert_eq!(value.summary().unwrap().count, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bulk;
mod error;
pub mod keys;
mod open;
mod origins;
mod read;
mod rows;
mod spill;
mod window;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};

use fjall::{Database, Keyspace};
use hearsay_record::OriginId;

pub use bulk::BULK_MIN_ENTRIES;
pub use error::{Result, StoreError};
pub use origins::{Origins, validate_origin_name};
pub use read::{IndexIter, LogIter, RecordIter, View};
pub use window::{Window, WindowStats};
pub use write::{ApplyReport, RemoteEntry};

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Tuning of the storage engine. The defaults keep a node under ~200 MB of memory.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Block cache size.
    pub cache_bytes: u64,
    /// Memtable size of each large keyspace (records, rdata, log) before it is flushed
    /// to a table.
    pub memtable_bytes: u64,
    /// Journal (write-ahead log) budget: past it, the oldest memtables are flushed so
    /// that sealed journals can be deleted. The active journal rotates at 64 MB.
    pub journal_bytes: u64,
    /// Background threads that flush memtables and compact tables. One by default:
    /// with more, fjall 3.1's first worker hands every compaction request back to the
    /// queue and takes it again while the others are busy, spinning a whole core (a
    /// 10M-record snapshot bootstrap lost a third of the machine's CPU to it).
    pub worker_threads: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 32 << 20,
            memtable_bytes: 16 << 20,
            journal_bytes: 128 << 20,
            worker_threads: 1,
        }
    }
}

/// The database of one node. Share it with `Arc`; writes are serialised internally.
pub struct Store {
    path: PathBuf,
    db: Database,
    records: Keyspace,
    rdata: Keyspace,
    names: Keyspace,
    nxdomain: Keyspace,
    log: Keyspace,
    meta: Keyspace,
    /// Index rows of a bulk load not yet merged into `rdata` and `names`.
    spill: spill::Spill,
    origins: RwLock<Origins>,
    local: OriginId,
    writer: Mutex<WriterState>,
    /// Held by [`Store::finish_bulk_load`] while it merges runs (without the writer
    /// lock): one merge at a time. Never taken while holding the writer lock.
    finishing: Mutex<()>,
    /// Tests stop a merge halfway through here to write beside it.
    #[cfg(test)]
    merge_gate: Mutex<Option<bulk::MergeGate>>,
    /// The version vector and the counters as of the last commit, for readers: they do
    /// not wait for a write in progress (a snapshot's bulk write holds the writer lock
    /// for a fraction of a second, and the replication engine asks for the vector at
    /// every turn).
    published: RwLock<Published>,
}

/// What [`Store::version_vector`] and [`Store::stats`] read.
#[derive(Debug, Default)]
struct Published {
    vv: HashMap<OriginId, u64>,
    counts: HashMap<u16, u64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// State only the writer changes, cached in memory and persisted in `meta` with every
/// batch.
#[derive(Debug, Default)]
struct WriterState {
    /// Version vector: origin → highest seq integrated contiguously. For the local
    /// origin, the last seq it assigned.
    vv: HashMap<OriginId, u64>,
    /// Records per type.
    counts: HashMap<u16, u64>,
    /// Origins with `log` lines staged by bulk writes (not yet readable), and the lowest
    /// seq staged of each: the store merges them before the vector of such an origin
    /// moves, and replication rewinds its log readers to that seq once they are in.
    staged_log: HashMap<OriginId, u64>,
}

/// One origin's line of the version vector, by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VectorEntry {
    /// Origin name.
    pub origin: String,
    /// Highest sequence number integrated contiguously.
    pub seq: u64,
}

/// Figures for `hearsay stats`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreStats {
    /// The local origin's name.
    pub local_origin: String,
    /// Record count per type mnemonic.
    pub records_by_type: Vec<(String, u64)>,
    /// All records.
    pub records: u64,
    /// The version vector.
    pub origins: Vec<VectorEntry>,
    /// Bytes on disk (tables and journal).
    pub disk_bytes: u64,
    /// Bytes on disk per keyspace and for the journal.
    pub disk_usage: Vec<(&'static str, u64)>,
}

impl Store {
    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The local origin's id.
    pub fn local_origin(&self) -> OriginId {
        self.local
    }

    /// The local origin's name.
    pub fn local_origin_name(&self) -> String {
        self.origin_name(self.local).unwrap_or_default()
    }

    /// An origin's name.
    pub fn origin_name(&self, id: OriginId) -> Option<String> {
        self.read_origins().name(id).map(str::to_owned)
    }

    /// A copy of the origin table.
    pub fn origins(&self) -> Origins {
        self.read_origins().clone()
    }

    /// The version vector by origin id.
    pub fn version_vector(&self) -> HashMap<OriginId, u64> {
        self.read_published().vv.clone()
    }

    /// The version vector by origin name, sorted by name.
    pub fn version_vector_named(&self) -> Vec<VectorEntry> {
        let vv = self.version_vector();
        let origins = self.read_origins();
        let mut out: Vec<VectorEntry> = vv
            .into_iter()
            .filter_map(|(id, seq)| {
                Some(VectorEntry {
                    origin: origins.name(id)?.to_owned(),
                    seq,
                })
            })
            .collect();
        out.sort_by(|a, b| a.origin.cmp(&b.origin));
        out
    }

    /// Counts, origins and disk usage.
    pub fn stats(&self) -> Result<StoreStats> {
        let counts = self.read_published().counts.clone();
        let mut by_type: Vec<(u16, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
        by_type.sort();
        Ok(StoreStats {
            local_origin: self.local_origin_name(),
            records: by_type.iter().map(|(_, n)| n).sum(),
            records_by_type: by_type
                .into_iter()
                .map(|(t, n)| (hearsay_record::RrType(t).to_string(), n))
                .collect(),
            origins: self.version_vector_named(),
            disk_bytes: self.disk_bytes()?,
            disk_usage: self.disk_usage()?,
        })
    }

    /// Is the storage engine flushing or compacting tables right now? A large write
    /// (a snapshot) leaves work behind it; benchmarks wait for it to be done.
    pub fn maintenance_running(&self) -> bool {
        self.db.active_compactions() > 0 || self.db.outstanding_flushes() > 0
    }

    /// Tables waiting in the first level of the keyspaces written in bulk: `records`,
    /// `rdata`, `names`, `log` (how many runs a read of each merges, beyond the rest).
    pub fn first_level_tables(&self) -> [usize; 4] {
        [&self.records, &self.rdata, &self.names, &self.log].map(|ks| ks.l0_table_count())
    }

    /// Bytes on disk.
    pub fn disk_bytes(&self) -> Result<u64> {
        self.db.disk_space().map_err(|e| self.engine(e))
    }

    /// Flushes the memtables into tables and compacts every keyspace fully, so that the
    /// journal can be dropped and the disk holds only compressed tables (maintenance; the
    /// engine also compacts in the background).
    pub fn compact(&self) -> Result<()> {
        for ks in [
            &self.records,
            &self.rdata,
            &self.names,
            &self.log,
            &self.meta,
            &self.nxdomain,
        ] {
            ks.rotate_memtable_and_wait().map_err(|e| self.engine(e))?;
            ks.major_compact().map_err(|e| self.engine(e))?;
        }
        self.persist()
    }

    /// Bytes on disk per keyspace (tables only) and for the journal.
    pub fn disk_usage(&self) -> Result<Vec<(&'static str, u64)>> {
        Ok(vec![
            ("records", self.records.disk_space()),
            ("rdata", self.rdata.disk_space()),
            ("names", self.names.disk_space()),
            ("nxdomain", self.nxdomain.disk_space()),
            ("log", self.log.disk_space()),
            ("meta", self.meta.disk_space()),
            (
                "journal",
                self.db.journal_disk_space().map_err(|e| self.engine(e))?,
            ),
        ])
    }

    /// A value other components keep in the store (replication progress, policy
    /// documents), under their own name.
    pub fn state(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let key = [keys::meta::STATE_PREFIX, name.as_bytes()].concat();
        Ok(self
            .meta
            .get(key)
            .map_err(|e| self.engine(e))?
            .map(|v| v.to_vec()))
    }

    /// Stores a named value (see [`Store::state`]); `None` deletes it.
    pub fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<()> {
        let key = [keys::meta::STATE_PREFIX, name.as_bytes()].concat();
        match value {
            Some(v) => self.meta.insert(key, v),
            None => self.meta.remove(key),
        }
        .map_err(|e| self.engine(e))
    }

    /// Makes everything written so far durable (fsync).
    pub fn persist(&self) -> Result<()> {
        self.db
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| self.engine(e))
    }

    fn engine(&self, source: fjall::Error) -> StoreError {
        StoreError::Engine {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, what: &'static str, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what,
            detail: detail.to_string(),
        }
    }

    fn lock_writer(&self) -> MutexGuard<'_, WriterState> {
        // A panic while holding the lock cannot leave the cached state half-updated:
        // it is only changed after a batch committed. So a poisoned lock is still usable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_published(&self) -> std::sync::RwLockReadGuard<'_, Published> {
        self.published.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the writer's vector and counters what readers see (after each commit,
    /// with the writer lock held).
    fn publish(&self, state: &WriterState) {
        let mut published = self.published.write().unwrap_or_else(|p| p.into_inner());
        published.vv.clone_from(&state.vv);
        published.counts.clone_from(&state.counts);
    }

    fn read_origins(&self) -> std::sync::RwLockReadGuard<'_, Origins> {
        self.origins.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests;
