//! What the protocol needs from a node's database, as a trait: the fjall store
//! implements it for real nodes, [`MemReplica`] for tests and the simulator.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hearsay_record::{Entry, Sighting};
use hearsay_store::{RemoteEntry, Store};

use crate::batch::WireEntry;
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
pub type SnapshotRecord = (Vec<u8>, Vec<(String, Entry)>);

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
                    origin: origin.to_owned(),
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
        let view = self.view();
        let mut out = Vec::with_capacity(max.min(4096));
        for item in view.records_after(after).take(max) {
            let (key, value) = item?;
            let entries = value
                .entries()
                .iter()
                .filter_map(|(id, e)| Some((origins.name(*id)?.to_owned(), *e)))
                .collect();
            out.push((key, entries));
        }
        Ok(out)
    }

    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        let mut remote = Vec::with_capacity(entries.len());
        for e in entries {
            remote.push(RemoteEntry {
                key: e.key,
                origin: self.origin_id(&e.origin)?,
                entry: e.entry,
            });
        }
        let mut markers = Vec::with_capacity(complete.len());
        for (origin, seq) in complete {
            markers.push((self.origin_id(origin)?, *seq));
        }
        let r = self.apply_remote(remote, &markers)?;
        let lowest_changed = r
            .lowest_changed
            .iter()
            .filter_map(|(id, seq)| Some((self.origin_name(*id)?, *seq)))
            .collect();
        Ok(Applied {
            changed: r.changed,
            new_records: r.new_records,
            duplicates: r.duplicates,
            lowest_changed,
        })
    }

    fn state(&self, name: &str) -> Result<Option<Vec<u8>>, ReplicaError> {
        Ok(Store::state(self, name)?)
    }

    fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), ReplicaError> {
        Ok(Store::set_state(self, name, value)?)
    }
}

/// An in-memory replica with the store's semantics (one atomic apply, log with one line
/// per record and origin, vector advanced only by markers), for tests and simulation.
#[derive(Debug)]
pub struct MemReplica {
    inner: Mutex<Mem>,
}

/// The replica's durable state (what survives a simulated crash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mem {
    /// The local origin.
    pub local: String,
    /// Records: key → origin → entry.
    pub records: BTreeMap<Vec<u8>, BTreeMap<String, Entry>>,
    /// Log: (origin, seq, key).
    pub log: BTreeMap<(String, u64, Vec<u8>), ()>,
    /// Version vector.
    pub vector: Vector,
    /// Named state.
    pub state: HashMap<String, Vec<u8>>,
}

impl MemReplica {
    /// An empty replica of `local`.
    pub fn new(local: &str) -> Self {
        MemReplica {
            inner: Mutex::new(Mem {
                local: local.to_owned(),
                ..Mem::default()
            }),
        }
    }

    /// A replica restarted from durable state.
    pub fn from_state(mem: Mem) -> Self {
        MemReplica {
            inner: Mutex::new(mem),
        }
    }

    /// A copy of the durable state.
    pub fn dump(&self) -> Mem {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mem> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The local origin's own update (one seq for the batch), as the store's
    /// `apply_local`. Returns the seq.
    pub fn observe(&self, sightings: &[(Vec<u8>, Sighting)]) -> u64 {
        let mut m = self.lock();
        let local = m.local.clone();
        let seq = m.vector.get(&local).copied().unwrap_or(0) + 1;
        for (key, s) in sightings {
            let record = m.records.entry(key.clone()).or_default();
            let old = match record.get_mut(&local) {
                Some(entry) => {
                    let old = entry.seq;
                    entry.observe(s, seq);
                    Some(old)
                }
                None => {
                    record.insert(
                        local.clone(),
                        Entry {
                            time_first: s.time_first,
                            time_last: s.time_last,
                            count: s.count,
                            seq,
                        },
                    );
                    None
                }
            };
            if let Some(old) = old.filter(|o| *o != seq) {
                m.log.remove(&(local.clone(), old, key.clone()));
            }
            m.log.insert((local.clone(), seq, key.clone()), ());
        }
        m.vector.insert(local, seq);
        seq
    }
}

impl Replica for MemReplica {
    fn local_origin(&self) -> String {
        self.lock().local.clone()
    }

    fn vector(&self) -> Vector {
        self.lock().vector.clone()
    }

    fn is_empty(&self) -> Result<bool, ReplicaError> {
        Ok(self.lock().records.is_empty())
    }

    fn read_log(
        &self,
        origin: &str,
        from: &LogCursor,
        upto: Option<u64>,
        max: usize,
    ) -> Result<Vec<(u64, WireEntry)>, ReplicaError> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let m = self.lock();
        let start = match &from.after_key {
            Some(k) => Excluded((origin.to_owned(), from.seq, k.clone())),
            None => Included((origin.to_owned(), from.seq, Vec::new())),
        };
        let mut out = Vec::new();
        for ((o, seq, key), ()) in m.log.range((start, Unbounded)) {
            if o != origin || upto.is_some_and(|u| *seq > u) || out.len() >= max {
                break;
            }
            if let Some(entry) = m.records.get(key).and_then(|r| r.get(origin)) {
                out.push((
                    *seq,
                    WireEntry {
                        key: key.clone(),
                        origin: origin.to_owned(),
                        entry: *entry,
                    },
                ));
            }
        }
        Ok(out)
    }

    fn read_records(
        &self,
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<SnapshotRecord>, ReplicaError> {
        use std::ops::Bound::{Excluded, Unbounded};
        let m = self.lock();
        let range = match after {
            Some(k) => m.records.range::<[u8], _>((Excluded(k), Unbounded)),
            None => m.records.range::<[u8], _>(..),
        };
        Ok(range
            .take(max)
            .map(|(k, v)| (k.clone(), v.iter().map(|(o, e)| (o.clone(), *e)).collect()))
            .collect())
    }

    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        let mut m = self.lock();
        let mut applied = Applied::default();
        let local = m.local.clone();
        for e in entries {
            let is_new = !m.records.contains_key(&e.key);
            let record = m.records.entry(e.key.clone()).or_default();
            let (changed, old_seq) = match record.get_mut(&e.origin) {
                Some(existing) => {
                    let old = existing.seq;
                    (existing.merge(&e.entry), Some(old))
                }
                None => {
                    record.insert(e.origin.clone(), e.entry);
                    (true, None)
                }
            };
            if !changed {
                applied.duplicates += 1;
                continue;
            }
            applied.changed += 1;
            match applied
                .lowest_changed
                .iter_mut()
                .find(|(o, _)| *o == e.origin)
            {
                Some((_, s)) => *s = (*s).min(e.entry.seq),
                None => applied.lowest_changed.push((e.origin.clone(), e.entry.seq)),
            }
            if is_new {
                applied.new_records += 1;
            }
            if old_seq.is_none_or(|old| e.entry.seq > old) {
                if let Some(old) = old_seq {
                    m.log.remove(&(e.origin.clone(), old, e.key.clone()));
                }
                m.log
                    .insert((e.origin.clone(), e.entry.seq, e.key.clone()), ());
            }
            if e.origin == local {
                let mine = m.vector.entry(local.clone()).or_default();
                *mine = (*mine).max(e.entry.seq);
            }
        }
        for (origin, seq) in complete {
            if *origin == local {
                continue;
            }
            let v = m.vector.entry(origin.clone()).or_default();
            *v = (*v).max(*seq);
        }
        Ok(applied)
    }

    fn state(&self, name: &str) -> Result<Option<Vec<u8>>, ReplicaError> {
        Ok(self.lock().state.get(name).cloned())
    }

    fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), ReplicaError> {
        let mut m = self.lock();
        match value {
            Some(v) => m.state.insert(name.to_owned(), v.to_vec()),
            None => m.state.remove(name),
        };
        Ok(())
    }
}

/// A shared replica (a node's `Arc<Store>`).
impl<T: Replica + ?Sized> Replica for std::sync::Arc<T> {
    fn local_origin(&self) -> String {
        (**self).local_origin()
    }
    fn vector(&self) -> Vector {
        (**self).vector()
    }
    fn is_empty(&self) -> Result<bool, ReplicaError> {
        (**self).is_empty()
    }
    fn read_log(
        &self,
        origin: &str,
        from: &LogCursor,
        upto: Option<u64>,
        max: usize,
    ) -> Result<Vec<(u64, WireEntry)>, ReplicaError> {
        (**self).read_log(origin, from, upto, max)
    }
    fn read_records(
        &self,
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<SnapshotRecord>, ReplicaError> {
        (**self).read_records(after, max)
    }
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        (**self).apply(entries, complete)
    }
    fn state(&self, name: &str) -> Result<Option<Vec<u8>>, ReplicaError> {
        (**self).state(name)
    }
    fn set_state(&self, name: &str, value: Option<&[u8]>) -> Result<(), ReplicaError> {
        (**self).set_state(name, value)
    }
}
