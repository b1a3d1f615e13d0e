//! [`MemReplica`]: an in-memory [`Replica`] with the store's semantics, for tests and
//! the simulator.
//!
//! It is compact because the simulator holds fifty of them, each with every record of
//! the federation: origins are interned to a `u16`, each record key is one shared
//! allocation (the record table and the log point at the same bytes), and a record's
//! entries are a small vector rather than a map. A 50-node run with 200k records fits in
//! a few GB this way; with owned keys and maps per record it needed 1.3 kB per entry.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use hearsay_record::{Entry, Sighting};

use crate::batch::WireEntry;
use crate::message::Vector;
use crate::replica::{Applied, LogCursor, Replica, ReplicaError, SnapshotRecord};

/// An interned origin.
type OriginIx = u16;

/// A replica's durable state (what survives a simulated crash).
#[derive(Debug, Clone, Default)]
pub struct Mem {
    /// The local origin.
    pub local: String,
    /// Version vector.
    pub vector: Vector,
    /// Named state.
    pub state: HashMap<String, Vec<u8>>,
    /// Interned origins: index → name.
    origins: Vec<String>,
    /// Records: key → (origin, entry), one per origin that has seen it.
    records: BTreeMap<Arc<[u8]>, Vec<(OriginIx, Entry)>>,
    /// Log: (origin, seq, key), one line per record and origin at its latest seq.
    log: BTreeSet<(OriginIx, u64, Arc<[u8]>)>,
    /// Log lines of the records a snapshot brought, not readable until the snapshot
    /// ends, as the store stages them (see `Store::finish_bulk_load`).
    staged: BTreeSet<(OriginIx, u64, Arc<[u8]>)>,
}

impl Mem {
    /// An empty state of `local`.
    fn new(local: &str) -> Self {
        Mem {
            local: local.to_owned(),
            ..Mem::default()
        }
    }

    fn find(&self, origin: &str) -> Option<OriginIx> {
        self.origins
            .iter()
            .position(|o| o == origin)
            .and_then(|i| OriginIx::try_from(i).ok())
    }

    fn intern(&mut self, origin: &str) -> Result<OriginIx, ReplicaError> {
        if let Some(i) = self.find(origin) {
            return Ok(i);
        }
        let i = OriginIx::try_from(self.origins.len())
            .map_err(|_| ReplicaError("more than 65,536 origins".into()))?;
        self.origins.push(origin.to_owned());
        Ok(i)
    }

    fn name(&self, i: OriginIx) -> &str {
        self.origins.get(usize::from(i)).map_or("", String::as_str)
    }

    /// The shared copy of `key`, creating its record if it has none.
    fn key(&mut self, key: &[u8]) -> Arc<[u8]> {
        match self.records.get_key_value(key) {
            Some((k, _)) => k.clone(),
            None => {
                let k: Arc<[u8]> = Arc::from(key);
                self.records.insert(k.clone(), Vec::new());
                k
            }
        }
    }

    /// Moves the log line of `(origin, key)` from `old` to `new`.
    fn relog(&mut self, origin: OriginIx, key: &Arc<[u8]>, old: Option<u64>, new: u64) {
        if let Some(old) = old {
            self.log.remove(&(origin, old, key.clone()));
        }
        self.log.insert((origin, new, key.clone()));
    }

    /// Makes the staged log lines readable; returns per origin the lowest seq staged.
    fn merge_staged(&mut self) -> Vec<(String, u64)> {
        let mut lowest: BTreeMap<OriginIx, u64> = BTreeMap::new();
        for line in std::mem::take(&mut self.staged) {
            lowest.entry(line.0).or_insert(line.1);
            self.log.insert(line);
        }
        lowest
            .into_iter()
            .map(|(o, seq)| (self.name(o).to_owned(), seq))
            .collect()
    }

    /// Does any staged line belong to `origin`?
    fn has_staged(&self, origin: &str) -> bool {
        self.find(origin).is_some_and(|o| {
            self.staged
                .range((o, 0, Arc::from(&[][..]))..)
                .next()
                .is_some_and(|l| l.0 == o)
        })
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Holds no record?
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every (record key, origin, entry), in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &str, &Entry)> {
        self.records
            .iter()
            .flat_map(move |(k, es)| es.iter().map(move |(o, e)| (&k[..], self.name(*o), e)))
    }

    /// `origin`'s entry for `key`, if held.
    pub fn entry(&self, key: &[u8], origin: &str) -> Option<&Entry> {
        let o = self.find(origin)?;
        self.records
            .get(key)?
            .iter()
            .find(|(i, _)| *i == o)
            .map(|(_, e)| e)
    }

    /// The records as plain maps (key → origin → entry): for tests and small states.
    pub fn records(&self) -> BTreeMap<Vec<u8>, BTreeMap<String, Entry>> {
        let mut out: BTreeMap<Vec<u8>, BTreeMap<String, Entry>> = BTreeMap::new();
        for (k, o, e) in self.entries() {
            out.entry(k.to_vec()).or_default().insert(o.to_owned(), *e);
        }
        out
    }

    /// Do both hold the same records with the same entries (whatever the order in which
    /// each learnt its origins)?
    pub fn same_records(&self, other: &Mem) -> bool {
        self.records.len() == other.records.len()
            && self
                .records
                .iter()
                .zip(&other.records)
                .all(|((ka, a), (kb, b))| {
                    ka == kb
                        && a.len() == b.len()
                        && a.iter()
                            .all(|(o, e)| other.entry(kb, self.name(*o)) == Some(e))
                })
    }
}

/// An in-memory replica with the store's semantics (one atomic apply, a log with one
/// line per record and origin at its latest seq, the vector advanced only by markers and
/// by the local origin's own updates), for tests and simulation.
#[derive(Debug)]
pub struct MemReplica {
    inner: Mutex<Mem>,
    /// Snapshot writes wait for `wait_snapshot_write`, as a store's background writes
    /// may (see [`MemReplica::writing_behind`]).
    write_behind: bool,
    /// The snapshot batch whose write is "in flight": not in the durable state yet.
    in_flight: Mutex<Option<Vec<Vec<WireEntry>>>>,
}

impl MemReplica {
    /// An empty replica of `local`.
    pub fn new(local: &str) -> Self {
        Self::from_mem(Mem::new(local))
    }

    /// A replica restarted from durable state (staged log lines become readable, as a
    /// store's open merges them).
    pub fn from_state(mut mem: Mem) -> Self {
        mem.merge_staged();
        Self::from_mem(mem)
    }

    fn from_mem(mem: Mem) -> Self {
        MemReplica {
            inner: Mutex::new(mem),
            write_behind: false,
            in_flight: Mutex::new(None),
        }
    }

    /// This replica, writing each snapshot batch only when the engine waits for it, as
    /// late as a store writing in the background could: a crash before loses it.
    pub fn writing_behind(mut self) -> Self {
        self.write_behind = true;
        self
    }

    /// A copy of the durable state (keys are shared, not copied).
    pub fn dump(&self) -> Mem {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mem> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Merges entries (and markers); with `stage`, the log lines of records new to the
    /// replica are staged, as a store's bulk write stages them.
    fn merge(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
        stage: bool,
    ) -> Result<Applied, ReplicaError> {
        let mut m = self.lock();
        let mut applied = Applied::default();
        let local = m.local.clone();
        let mut local_moved = false;
        // Records new to the replica in this merge: all their lines are staged.
        let mut new_keys: BTreeSet<Arc<[u8]>> = BTreeSet::new();
        for e in entries {
            let o = m.intern(&e.origin)?;
            let is_new = m.records.get(&e.key[..]).is_none_or(Vec::is_empty);
            let k = m.key(&e.key);
            if stage && is_new {
                new_keys.insert(k.clone());
            }
            let staged = new_keys.contains(&k);
            let record = m.records.entry(k.clone()).or_default();
            let (changed, old_seq) = match record.iter_mut().find(|(i, _)| *i == o) {
                Some((_, existing)) => {
                    let old = existing.seq;
                    (existing.merge(&e.entry), Some(old))
                }
                None => {
                    record.push((o, e.entry));
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
                .find(|(name, _)| *name == e.origin)
            {
                Some((_, s)) => *s = (*s).min(e.entry.seq),
                None => applied
                    .lowest_changed
                    .push((e.origin.to_string(), e.entry.seq)),
            }
            if is_new {
                applied.new_records += 1;
            }
            if old_seq.is_none_or(|old| e.entry.seq > old) {
                if staged {
                    if let Some(old) = old_seq {
                        m.staged.remove(&(o, old, k.clone()));
                    }
                    m.staged.insert((o, e.entry.seq, k.clone()));
                } else {
                    m.relog(o, &k, old_seq, e.entry.seq);
                }
            }
            if e.origin == local {
                let mine = m.vector.entry(local.clone()).or_default();
                if e.entry.seq > *mine {
                    *mine = e.entry.seq;
                    local_moved = true;
                }
            }
        }
        for (origin, seq) in complete {
            if *origin == local {
                continue;
            }
            let v = m.vector.entry(origin.clone()).or_default();
            *v = (*v).max(*seq);
        }
        // The vector never covers lines a reader cannot see: staged lines of an origin
        // whose vector moved are made readable (in the same atomic apply).
        let moved = complete.iter().any(|(o, _)| *o != local && m.has_staged(o))
            || (local_moved && m.has_staged(&local));
        if moved {
            applied.readable = m.merge_staged();
        }
        Ok(applied)
    }

    /// The local origin's own update (one seq for the batch), as the store's
    /// `apply_local`. Returns the seq.
    pub fn observe(&self, sightings: &[(Vec<u8>, Sighting)]) -> u64 {
        let mut m = self.lock();
        let local = m.local.clone();
        let seq = m.vector.get(&local).copied().unwrap_or(0) + 1;
        let Ok(me) = m.intern(&local) else {
            return seq - 1;
        };
        for (key, s) in sightings {
            let k = m.key(key);
            let record = m.records.entry(k.clone()).or_default();
            let old = match record.iter_mut().find(|(o, _)| *o == me) {
                Some((_, entry)) => {
                    let old = entry.seq;
                    entry.observe(s, seq);
                    Some(old)
                }
                None => {
                    record.push((
                        me,
                        Entry {
                            time_first: s.time_first,
                            time_last: s.time_last,
                            count: s.count,
                            seq,
                        },
                    ));
                    None
                }
            };
            if old != Some(seq) {
                m.relog(me, &k, old, seq);
            }
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
        let Some(o) = m.find(origin) else {
            return Ok(Vec::new());
        };
        let start = match &from.after_key {
            Some(k) => Excluded((o, from.seq, Arc::from(&k[..]))),
            None => Included((o, from.seq, Arc::from(&[][..]))),
        };
        let mut out = Vec::new();
        for (lo, seq, key) in m.log.range((start, Unbounded)) {
            if *lo != o || upto.is_some_and(|u| *seq > u) || out.len() >= max {
                break;
            }
            let entry = m
                .records
                .get(key)
                .and_then(|r| r.iter().find(|(i, _)| *i == o));
            if let Some((_, entry)) = entry {
                out.push((
                    *seq,
                    WireEntry {
                        key: key.to_vec(),
                        origin: origin.into(),
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
            .filter(|(_, es)| !es.is_empty())
            .take(max)
            .map(|(k, es)| {
                let mut entries: Vec<(crate::Origin, Entry)> =
                    es.iter().map(|(o, e)| (m.name(*o).into(), *e)).collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                (k.to_vec(), entries)
            })
            .collect())
    }

    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        self.merge(entries, complete, false)
    }

    fn apply_snapshot(&self, batches: Vec<Vec<WireEntry>>) -> Result<Applied, ReplicaError> {
        self.merge(batches.into_iter().flatten().collect(), &[], true)
    }

    fn start_snapshot_write(
        &self,
        batches: Vec<Vec<WireEntry>>,
    ) -> Result<Option<Applied>, ReplicaError> {
        if !self.write_behind {
            return self.apply_snapshot(batches).map(Some);
        }
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.is_some() {
            return Err(ReplicaError("a snapshot write is already in flight".into()));
        }
        *in_flight = Some(batches);
        Ok(None)
    }

    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        let batches = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match batches {
            Some(b) => self.apply_snapshot(b),
            None => Ok(Applied::default()),
        }
    }

    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        Ok(Applied {
            readable: self.lock().merge_staged(),
            ..Applied::default()
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> Entry {
        Entry {
            time_first: 10,
            time_last: 20,
            count: 1,
            seq,
        }
    }

    fn wire(key: &[u8], origin: &str, seq: u64) -> WireEntry {
        WireEntry {
            key: key.to_vec(),
            origin: origin.into(),
            entry: entry(seq),
        }
    }

    #[test]
    fn the_log_keeps_one_line_per_record_and_origin_at_its_latest_seq() {
        let r = MemReplica::new("me");
        r.apply(vec![wire(b"k1", "a", 1), wire(b"k2", "a", 1)], &[])
            .unwrap();
        r.apply(vec![wire(b"k1", "a", 3), wire(b"k1", "b", 2)], &[])
            .unwrap();
        let a = r.read_log("a", &LogCursor::after_seq(0), None, 10).unwrap();
        let lines: Vec<(u64, Vec<u8>)> = a.into_iter().map(|(s, e)| (s, e.key)).collect();
        assert_eq!(lines, vec![(1, b"k2".to_vec()), (3, b"k1".to_vec())]);
        // From the middle of a seq.
        let cursor = LogCursor {
            seq: 1,
            after_key: Some(b"k2".to_vec()),
        };
        let rest = r.read_log("a", &cursor, None, 10).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0, 3);
        assert!(r.read_log("c", &cursor, None, 10).unwrap().is_empty());
    }

    #[test]
    fn equality_ignores_the_order_origins_were_learnt_in() {
        let x = MemReplica::new("x");
        let y = MemReplica::new("y");
        x.apply(vec![wire(b"k", "a", 1), wire(b"k", "b", 1)], &[])
            .unwrap();
        y.apply(vec![wire(b"k", "b", 1), wire(b"k", "a", 1)], &[])
            .unwrap();
        assert!(x.dump().same_records(&y.dump()));
        assert_eq!(x.dump().records(), y.dump().records());
        y.apply(vec![wire(b"k", "a", 2)], &[]).unwrap();
        assert!(!x.dump().same_records(&y.dump()));
        assert_eq!(y.dump().entry(b"k", "a").map(|e| e.seq), Some(2));
    }

    #[test]
    fn snapshot_reads_name_every_origin_in_order() {
        let r = MemReplica::new("me");
        r.observe(&[(
            b"k".to_vec(),
            Sighting {
                time_first: 1,
                time_last: 2,
                count: 1,
            },
        )]);
        r.apply(vec![wire(b"k", "b", 1), wire(b"j", "a", 4)], &[])
            .unwrap();
        let recs = r.read_records(None, 10).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, b"j".to_vec());
        let names: Vec<&str> = recs[1].1.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, vec!["b", "me"]);
        assert_eq!(r.read_records(Some(b"j"), 10).unwrap().len(), 1);
    }
}
