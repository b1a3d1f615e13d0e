//! What the protocol needs from a node's database, as a trait: the fjall store
//! implements it for real nodes, [`MemReplica`](crate::MemReplica) for tests and the
//! simulator.

use hearsay_record::Entry;
use hearsay_store::{ApplyReport, RemoteEntry, Store};

use crate::batch::{Origin, WireEntry};
use crate::message::Vector;

/// A failure of the local database (not the peer's fault).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReplicaError(pub String);

impl From<hearsay_store::StoreError> for ReplicaError {
    fn from(e: hearsay_store::StoreError) -> Self {
        ReplicaError(e.to_string())
    }
}

/// Where a session is in an origin's log: lines with `seq` and a key after `after_key`
/// (all of `seq` if `None`), then every higher seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCursor {
    /// The seq.
    pub seq: u64,
    /// The last key of `seq` already read.
    pub after_key: Option<Vec<u8>>,
}

impl LogCursor {
    /// The position after every line of seqs up to `seq`.
    pub fn after_seq(seq: u64) -> Self {
        LogCursor {
            seq: seq.saturating_add(1),
            after_key: None,
        }
    }
}

/// A record with the entries of every origin, as a snapshot streams it.
pub type SnapshotRecord = (Vec<u8>, Vec<(Origin, Entry)>);

/// What one apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Records whose value changed.
    pub changed: u64,
    /// Records new to this replica.
    pub new_records: u64,
    /// Entries that changed nothing.
    pub duplicates: u64,
    /// Per origin, the lowest seq of the entries that changed something.
    pub lowest_changed: Vec<(String, u64)>,
    /// Per origin, the lowest seq of log lines that only now became readable (a bulk
    /// load's, staged until its end): every log reader that passed it reads again.
    pub readable: Vec<(String, u64)>,
}

/// A node's database as the protocol sees it.
pub trait Replica {
    /// The local origin's name.
    fn local_origin(&self) -> String;
    /// The version vector (origin → highest seq integrated contiguously).
    fn vector(&self) -> Vector;
    /// Does it hold no record at all?
    fn is_empty(&self) -> Result<bool, ReplicaError>;
    /// Up to `max` lines of `origin`'s log from `from`, stopping before the first line
    /// with a seq above `upto` (if given): each line's seq and the origin's entry.
    fn read_log(
        &self,
        origin: &str,
        from: &LogCursor,
        upto: Option<u64>,
        max: usize,
    ) -> Result<Vec<(u64, WireEntry)>, ReplicaError>;
    /// Up to `max` records after `after`, in key order.
    fn read_records(
        &self,
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<SnapshotRecord>, ReplicaError>;
    /// Merges entries and advances the vector for `complete` markers, atomically.
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError>;
    /// Merges a large batch of a snapshot's entries (its frames' batches, in key order),
    /// as `apply` with no markers does. A store may write it faster than `apply` could,
    /// e.g. as whole tables.
    fn apply_snapshot(&self, batches: Vec<Vec<WireEntry>>) -> Result<Applied, ReplicaError> {
        self.apply(batches.into_iter().flatten().collect(), &[])
    }
    /// Starts writing a snapshot's batch as [`Replica::apply_snapshot`] does. A replica
    /// may write it in the background and return `None`: the write is then finished, and
    /// its report returned, by [`Replica::wait_snapshot_write`]. The engine keeps at most
    /// one such write in flight, and waits for it before it starts another, before
    /// [`Replica::end_snapshot`], and before it counts the batch as written (the resume
    /// point of its stream moves only then). By default the batch is written now.
    fn start_snapshot_write(
        &self,
        batches: Vec<Vec<WireEntry>>,
    ) -> Result<Option<Applied>, ReplicaError> {
        self.apply_snapshot(batches).map(Some)
    }
    /// Finishes the write [`Replica::start_snapshot_write`] left in flight, if any, and
    /// returns its report. An error means the batch may be written in part only.
    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        Ok(Applied::default())
    }
    /// A snapshot stream ended, or the connection that carried it closed: whatever
    /// `apply_snapshot` left for the end of a load is done now (a store merges the rows
    /// it staged, see `Store::finish_bulk_load`). `readable` names the log lines that
    /// only now became readable.
    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        Ok(Applied::default())
    }
    /// A named piece of protocol state (progress, policy documents).
    fn state(&self, name: &str) -> Result<Option<Vec<u8>>, ReplicaError>;
    /// Stores (or with `None` deletes) a named piece of protocol state.
    fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), ReplicaError>;
}

impl Replica for Store {
    fn local_origin(&self) -> String {
        self.local_origin_name()
    }

    fn vector(&self) -> Vector {
        self.version_vector_named()
            .into_iter()
            .map(|e| (e.origin, e.seq))
            .collect()
    }

    fn is_empty(&self) -> Result<bool, ReplicaError> {
        Ok(self.view().records_after(None).next().is_none())
    }

    fn read_log(
        &self,
        origin: &str,
        from: &LogCursor,
        upto: Option<u64>,
        max: usize,
    ) -> Result<Vec<(u64, WireEntry)>, ReplicaError> {
        let Some(id) = self.lookup_origin(origin) else {
            return Ok(Vec::new());
        };
        let view = self.view();
        let mut out = Vec::new();
        for line in view.log_after(id, from.seq, from.after_key.as_deref()) {
            let (seq, key) = line?;
            if upto.is_some_and(|u| seq > u) || out.len() >= max {
                break;
            }
            let Some(entry) = view.get(&key)?.and_then(|v| v.get(id).copied()) else {
                continue;
            };
            out.push((
                seq,
                WireEntry {
                    key,
                    origin: Origin::new(origin),
                    entry,
                },
            ));
        }
        Ok(out)
    }

    fn read_records(
        &self,
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<SnapshotRecord>, ReplicaError> {
        let origins = self.origins();
        Ok(self.view().records_after_with(after, max, |id, e| {
            Some((Origin::new(origins.name(id)?), e))
        })?)
    }

    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        let remote = remote_entries(self, entries)?;
        let mut markers = Vec::with_capacity(complete.len());
        for (origin, seq) in complete {
            markers.push((self.origin_id(origin)?, *seq));
        }
        Ok(applied(self, self.apply_remote(remote, &markers)?))
    }

    fn apply_snapshot(&self, batches: Vec<Vec<WireEntry>>) -> Result<Applied, ReplicaError> {
        let mut remote = Vec::with_capacity(batches.len());
        for b in batches {
            remote.push(remote_entries(self, b)?);
        }
        Ok(applied(self, self.apply_bulk(remote)?))
    }

    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        Ok(applied(self, self.finish_bulk_load()?))
    }

    fn state(&self, name: &str) -> Result<Option<Vec<u8>>, ReplicaError> {
        Ok(Store::state(self, name)?)
    }

    fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), ReplicaError> {
        Ok(Store::set_state(self, name, value)?)
    }
}

/// Entries with origin ids of this store (registering new origins).
fn remote_entries(
    store: &Store,
    entries: Vec<WireEntry>,
) -> Result<Vec<RemoteEntry>, ReplicaError> {
    let mut remote = Vec::with_capacity(entries.len());
    // A snapshot's entries come in runs of few origins: look each name up once per run.
    let mut last: Option<(Origin, hearsay_record::OriginId)> = None;
    for e in entries {
        let origin = match &last {
            Some((name, id)) if *name == e.origin => *id,
            _ => {
                let id = store.origin_id(&e.origin)?;
                last = Some((e.origin, id));
                id
            }
        };
        remote.push(RemoteEntry {
            key: e.key,
            origin,
            entry: e.entry,
        });
    }
    Ok(remote)
}

/// A store's report in the protocol's terms (origins by name).
fn applied(store: &Store, r: ApplyReport) -> Applied {
    let named = |v: Vec<(hearsay_record::OriginId, u64)>| {
        v.into_iter()
            .filter_map(|(id, seq)| Some((store.origin_name(id)?, seq)))
            .collect()
    };
    Applied {
        changed: r.changed,
        new_records: r.new_records,
        duplicates: r.duplicates,
        lowest_changed: named(r.lowest_changed),
        readable: named(r.readable),
    }
}

/// Implements the [`Replica`] methods a wrapper passes through unchanged to the replica
/// it wraps, reached as `self.<tokens>` (a field, `inner`, or a method call, `inner()`):
/// every method but the writes (`apply`, `apply_snapshot`, `start_snapshot_write`,
/// `wait_snapshot_write`, `end_snapshot`), which are what wrappers are for.
#[macro_export]
macro_rules! forward_replica_reads {
    ($($inner:tt)+) => {
        fn local_origin(&self) -> String {
            self.$($inner)+.local_origin()
        }
        fn vector(&self) -> $crate::Vector {
            self.$($inner)+.vector()
        }
        fn is_empty(&self) -> Result<bool, $crate::ReplicaError> {
            self.$($inner)+.is_empty()
        }
        fn read_log(
            &self,
            origin: &str,
            from: &$crate::LogCursor,
            upto: Option<u64>,
            max: usize,
        ) -> Result<Vec<(u64, $crate::WireEntry)>, $crate::ReplicaError> {
            self.$($inner)+.read_log(origin, from, upto, max)
        }
        fn read_records(
            &self,
            after: Option<&[u8]>,
            max: usize,
        ) -> Result<Vec<$crate::SnapshotRecord>, $crate::ReplicaError> {
            self.$($inner)+.read_records(after, max)
        }
        fn state(&self, name: &str) -> Result<Option<Vec<u8>>, $crate::ReplicaError> {
            self.$($inner)+.state(name)
        }
        fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), $crate::ReplicaError> {
            self.$($inner)+.set_state(name, value)
        }
    };
}

/// A shared replica (a node's `Arc<Store>`).
impl<T: Replica + ?Sized> Replica for std::sync::Arc<T> {
    forward_replica_reads!(as_ref());
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        (**self).apply(entries, complete)
    }
    fn apply_snapshot(&self, batches: Vec<Vec<WireEntry>>) -> Result<Applied, ReplicaError> {
        (**self).apply_snapshot(batches)
    }
    fn start_snapshot_write(
        &self,
        batches: Vec<Vec<WireEntry>>,
    ) -> Result<Option<Applied>, ReplicaError> {
        (**self).start_snapshot_write(batches)
    }
    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        (**self).wait_snapshot_write()
    }
    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        (**self).end_snapshot()
    }
}
