//! Writing: the origin's own updates and merges of replicated entries, each one atomic
//! batch across `records`, `rdata`, `log` and `meta`.

use std::collections::HashMap;

use fjall::OwnedWriteBatch;
use hearsay_record::{Entry, KeyParts, OriginId, RecordValue, Sighting};

use crate::keys::{index_keys, log_key, meta};
use crate::{Result, Store, WriterState};

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Records whose value changed.
    pub changed: u64,
    /// Records that did not exist before.
    pub new_records: u64,
    /// Entries that changed nothing (already known).
    pub duplicates: u64,
    /// Per origin, the lowest seq among the entries that changed something (remote
    /// applies only): replication rewinds log readers that already passed it.
    pub lowest_changed: Vec<(OriginId, u64)>,
    /// Per origin, the lowest seq of `log` lines a bulk load had staged and that only
    /// now became readable (see [`Store::finish_bulk_load`]): every log reader that
    /// passed it reads again, whoever the entries came from.
    pub readable: Vec<(OriginId, u64)>,
}

/// One origin's entry for one record, as replication delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// Encoded record key.
    pub key: Vec<u8>,
    /// Whose entry it is.
    pub origin: OriginId,
    /// The entry.
    pub entry: Entry,
}

/// A log line to move: (origin, the seq it was at if any, its new seq).
pub(crate) type Relog = (OriginId, Option<u64>, u64);

/// Accumulates one batch and the meta changes it implies.
pub(crate) struct Batch<'s> {
    store: &'s Store,
    batch: OwnedWriteBatch,
    pub report: ApplyReport,
    pub new_per_type: HashMap<u16, u64>,
}

impl<'s> Batch<'s> {
    pub fn new(store: &'s Store) -> Self {
        Batch {
            store,
            batch: store.db.batch(),
            report: ApplyReport::default(),
            new_per_type: HashMap::new(),
        }
    }

    fn load(&self, key: &[u8]) -> Result<Option<RecordValue>> {
        let Some(bytes) = self
            .store
            .records
            .get(key)
            .map_err(|e| self.store.engine(e))?
        else {
            return Ok(None);
        };
        RecordValue::decode(&bytes)
            .map(Some)
            .map_err(|e| self.store.corrupt("record value", e))
    }

    /// Writes a changed value; a new record also gets its index entries.
    pub fn put(&mut self, key: &[u8], value: &RecordValue, is_new: bool) {
        self.batch
            .insert(&self.store.records, key, value.to_bytes());
        self.report.changed += 1;
        if is_new {
            self.report.new_records += 1;
            for ik in index_keys(key) {
                self.batch.insert(&self.store.rdata, ik, []);
            }
            if let Ok(parts) = KeyParts::split(key) {
                if let Ok((name, _)) = hearsay_record::Name::from_reversed(parts.reversed_name) {
                    // Repeated for every record of a name; the LSM keeps one.
                    self.batch.insert(&self.store.names, name.as_wire(), []);
                }
                *self.new_per_type.entry(parts.rrtype.0).or_default() += 1;
            }
        }
    }

    /// Points the log at the record for `(origin, seq)`, removing the superseded line.
    pub fn relog(&mut self, key: &[u8], origin: OriginId, old_seq: Option<u64>, new_seq: u64) {
        if let Some(old) = old_seq {
            if old == new_seq {
                return;
            }
            self.batch
                .remove(&self.store.log, log_key(origin, old, key));
        }
        self.batch
            .insert(&self.store.log, log_key(origin, new_seq, key), []);
    }

    /// Deletes a `meta` key in this batch.
    pub fn remove_meta(&mut self, key: &[u8]) {
        self.batch.remove(&self.store.meta, key);
    }

    /// Adds the meta updates and commits; then updates the cached writer state.
    pub(crate) fn commit(
        mut self,
        state: &mut WriterState,
        vv_updates: HashMap<OriginId, u64>,
    ) -> Result<ApplyReport> {
        // The vector must never cover log lines a reader cannot see yet.
        if vv_updates.keys().any(|o| state.staged_log.contains_key(o)) {
            self.store.merge_staged_log(state, &mut self.report)?;
        }
        let mut counts = Vec::with_capacity(self.new_per_type.len());
        for (t, n) in &self.new_per_type {
            let total = state.counts.get(t).copied().unwrap_or(0) + n;
            self.batch
                .insert(&self.store.meta, meta::count_key(*t), total.to_be_bytes());
            counts.push((*t, total));
        }
        for (origin, seq) in &vv_updates {
            self.batch.insert(
                &self.store.meta,
                meta::with_id(meta::VV_PREFIX, origin.0),
                seq.to_be_bytes(),
            );
        }
        self.batch.commit().map_err(|e| self.store.engine(e))?;
        state.counts.extend(counts);
        state.vv.extend(vv_updates);
        self.store.publish(state);
        Ok(self.report)
    }
}

/// Sorts entries by record key, then origin: one record's entries become a run.
pub(crate) fn sort_entries(entries: &mut [RemoteEntry]) {
    let order = |a: &RemoteEntry, b: &RemoteEntry| a.key.cmp(&b.key).then(a.origin.cmp(&b.origin));
    if !entries.is_sorted_by(|a, b| order(a, b).is_le()) {
        entries.sort_unstable_by(order);
    }
}

impl Store {
    /// Merges one record's received entries (`group`, all of one key) into its value.
    /// Returns whether the value changed; counts duplicates and the lowest changed seq
    /// per origin in `report`, and leaves in `relogs` the log lines to move.
    pub(crate) fn merge_group(
        &self,
        value: &mut RecordValue,
        group: &[RemoteEntry],
        state: &WriterState,
        vv: &mut HashMap<OriginId, u64>,
        report: &mut ApplyReport,
        relogs: &mut Vec<Relog>,
    ) -> bool {
        let mut changed = false;
        for RemoteEntry { origin, entry, .. } in group {
            let old_seq = value.get(*origin).map(|e| e.seq);
            if !value.merge_entry(*origin, entry) {
                report.duplicates += 1;
                continue;
            }
            changed = true;
            match report.lowest_changed.iter_mut().find(|(o, _)| o == origin) {
                Some((_, s)) => *s = (*s).min(entry.seq),
                None => report.lowest_changed.push((*origin, entry.seq)),
            }
            if old_seq.is_none_or(|old| entry.seq > old) {
                relogs.push((*origin, old_seq, entry.seq));
            }
            // Our own entries coming back with a higher seq than we remember mean this
            // store lost updates it had once replicated: never reuse a seq.
            if *origin == self.local {
                let mine = vv
                    .get(origin)
                    .or(state.vv.get(origin))
                    .copied()
                    .unwrap_or(0);
                if entry.seq > mine {
                    vv.insert(*origin, entry.seq);
                }
            }
        }
        changed
    }

    /// The local origin's own observations: folds each record's sightings into its
    /// entry (counts add up), as one update of the local origin (one new sequence
    /// number for all of them), in one atomic batch.
    /// Keys must be encoded record keys; repeated keys are folded first.
    pub fn apply_local<K: AsRef<[u8]>>(
        &self,
        mut sightings: Vec<(K, Sighting)>,
    ) -> Result<ApplyReport> {
        if sightings.is_empty() {
            return Ok(ApplyReport::default());
        }
        // Key order gives the reads locality in the LSM tree.
        sightings.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut state = self.lock_writer();
        // One update of the local origin: every record it changes gets this seq.
        let seq = state.vv.get(&self.local).copied().unwrap_or(0) + 1;
        let mut batch = Batch::new(self);
        let mut i = 0;
        while i < sightings.len() {
            let key = sightings[i].0.as_ref();
            let mut sighting = sightings[i].1;
            i += 1;
            while i < sightings.len() && sightings[i].0.as_ref() == key {
                sighting.add(&sightings[i].1);
                i += 1;
            }
            let existing = batch.load(key)?;
            let is_new = existing.is_none();
            let mut value = existing.unwrap_or_default();
            let old_seq = value.observe(self.local, &sighting, seq);
            batch.put(key, &value, is_new);
            batch.relog(key, self.local, old_seq, seq);
        }
        let vv = HashMap::from([(self.local, seq)]);
        batch.commit(&mut state, vv)
    }

    /// Folds NXDOMAIN sightings (`reversed qname | qtype` keys) into the `nxdomain`
    /// keyspace: first = min, last = max, counts add. Local only, never replicated.
    pub fn apply_nxdomain<K: AsRef<[u8]>>(&self, mut sightings: Vec<(K, Sighting)>) -> Result<u64> {
        sightings.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let _writer = self.lock_writer();
        let mut batch = self.db.batch();
        let mut written = 0;
        for (key, s) in &sightings {
            let key = key.as_ref();
            let mut e = match self.nxdomain.get(key).map_err(|e| self.engine(e))? {
                Some(v) => {
                    let mut input = &v[..];
                    hearsay_record::decode_entry(&mut input)
                        .map_err(|e| self.corrupt("nxdomain value", e))?
                }
                None => Entry {
                    time_first: s.time_first,
                    time_last: s.time_last,
                    count: 0,
                    seq: 0,
                },
            };
            e.observe(s, 0);
            let mut value = Vec::with_capacity(16);
            hearsay_record::encode_entry(&mut value, &e);
            batch.insert(&self.nxdomain, key, value);
            written += 1;
        }
        batch.commit().map_err(|e| self.engine(e))?;
        Ok(written)
    }

    /// Merges entries received from a peer and advances the version vector for the
    /// origins the peer declared complete (`origin` complete up to `seq`), in one atomic
    /// batch. Entries that change nothing are counted as duplicates and cost no write.
    pub fn apply_remote(
        &self,
        mut entries: Vec<RemoteEntry>,
        complete: &[(OriginId, u64)],
    ) -> Result<ApplyReport> {
        sort_entries(&mut entries);
        let mut state = self.lock_writer();
        let mut batch = Batch::new(self);
        let mut vv: HashMap<OriginId, u64> = HashMap::new();
        let mut relogs = Vec::new();
        for group in entries.chunk_by(|a, b| a.key == b.key) {
            let key = &group[0].key;
            let existing = batch.load(key)?;
            let is_new = existing.is_none();
            let mut value = existing.unwrap_or_default();
            let changed = self.merge_group(
                &mut value,
                group,
                &state,
                &mut vv,
                &mut batch.report,
                &mut relogs,
            );
            for (origin, old, new) in relogs.drain(..) {
                batch.relog(key, origin, old, new);
            }
            if changed {
                batch.put(key, &value, is_new);
            }
        }
        for &(origin, seq) in complete {
            if origin == self.local {
                continue;
            }
            let current = vv
                .get(&origin)
                .or(state.vv.get(&origin))
                .copied()
                .unwrap_or(0);
            if seq > current {
                vv.insert(origin, seq);
            }
        }
        batch.commit(&mut state, vv)
    }
}
