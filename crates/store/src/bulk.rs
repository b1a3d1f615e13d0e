//! Bulk merging of a large batch of received entries (a snapshot's): the records new to
//! this store are written straight into new tables with fjall's ingestion, past the
//! journal and the memtables; records it already holds are merged as
//! [`Store::apply_remote`] merges them.
//!
//! A memtable insert into a large skiplist, its journal line and its later flush cost
//! several times what writing the same rows in key order into a table costs, and a
//! snapshot brings millions of new records at once. The result is the same as
//! `apply_remote`'s: the same rows in `records`, `rdata`, `names` and `log`, the same
//! counters and report.
//!
//! The `rdata` and `names` rows of new records are not in key order: they are staged as
//! sorted run files (see the `spill` module) and merged once into their keyspaces by
//! [`Store::finish_bulk_load`], which the end of a snapshot calls (and every open, after
//! a crash). Until then reverse lookups and right-hand wildcards do not see the load's
//! records; lookups by owner name and replication do.
//!
//! Ingestion is atomic per keyspace, not across them, so the order is chosen for
//! crashes: the `log` table and the durable runs go first (rows pointing at a record not
//! yet written are skipped by every reader, and rewritten identically when the batch is
//! received again), then `records`, then one batch with the counters and any merges of
//! existing records. A durable marker in `meta` is set before the first table and
//! cleared by that last batch; a store opened with the marker set recounts its records.

use std::collections::HashMap;

use fjall::Keyspace;
use hearsay_record::{KeyParts, Name, OriginId, RecordValue};

use crate::keys::{for_each_index_key, log_prefix, meta};
use crate::rows::Rows;
use crate::spill::{self, Index, Unsynced};
use crate::write::{Batch, sort_entries};
use crate::{ApplyReport, RecordIter, RemoteEntry, Result, Store, WriterState};

/// Bytes of a `log` key before the record key: origin (4) and seq (8).
const LOG_PREFIX: usize = 12;

/// Below this many entries the bulk path would write many tiny tables: such batches go
/// through [`Store::apply_remote`].
pub const BULK_MIN_ENTRIES: usize = 4096;

/// Rows of new records, gathered for ingestion.
struct NewRows {
    /// The records' keys, and their values in the same order.
    keys: Vec<Vec<u8>>,
    values: Rows,
    rdata: Rows,
    names: Rows,
    log: Rows,
}

impl NewRows {
    /// Room for `n` entries' rows (about one record, one log line and one index key
    /// each, of about `key_bytes` bytes of record key each), so that the buffers are
    /// not copied as they grow.
    fn with_capacity(n: usize, key_bytes: usize) -> Self {
        NewRows {
            keys: Vec::with_capacity(n),
            values: Rows::with_capacity(n, n * 24),
            rdata: Rows::with_capacity(n, n * (key_bytes + 8)),
            names: Rows::default(),
            log: Rows::with_capacity(n, n * (key_bytes + LOG_PREFIX)),
        }
    }
}

impl Store {
    /// Merges entries like [`Store::apply_remote`] without markers, writing the records
    /// new to this store as new tables (see the module doc). Meant for a snapshot's
    /// batches: each in key order, one after the other, every record in one batch. Any
    /// order is accepted (then they are sorted together). The new records' `rdata` and
    /// `names` rows wait for [`Store::finish_bulk_load`].
    pub fn apply_bulk(&self, mut batches: Vec<Vec<RemoteEntry>>) -> Result<ApplyReport> {
        let total: usize = batches.iter().map(Vec::len).sum();
        let started = std::time::Instant::now();
        if total < BULK_MIN_ENTRIES {
            return self.apply_remote(batches.into_iter().flatten().collect(), &[]);
        }
        batches.retain(|b| !b.is_empty());
        for b in &mut batches {
            sort_entries(b);
        }
        let in_order = batches
            .windows(2)
            .all(|w| match (w[0].last(), w[1].first()) {
                (Some(a), Some(b)) => a.key < b.key,
                _ => true,
            });
        if !in_order {
            let mut all: Vec<RemoteEntry> = batches.into_iter().flatten().collect();
            sort_entries(&mut all);
            batches = vec![all];
        }
        let (first, last) = match (
            batches.first().and_then(|b| b.first()),
            batches.last().and_then(|b| b.last()),
        ) {
            (Some(f), Some(l)) => (f.key.clone(), l.key.clone()),
            _ => return Ok(ApplyReport::default()),
        };
        let mut state = self.lock_writer();
        let mut batch = Batch::new(self);
        let mut vv: HashMap<OriginId, u64> = HashMap::new();
        let key_bytes = batches
            .first()
            .and_then(|b| b.first())
            .map_or(0, |e| e.key.len());
        let mut rows = NewRows::with_capacity(total, key_bytes);
        let mut relogs = Vec::new();
        // Per origin, the lowest seq of the log lines staged (a batch has few origins:
        // a list, not a hash per record).
        let mut staged: Vec<(OriginId, u64)> = Vec::new();
        // New records per type below 256 (the common ones), counted without a hash per
        // record; into `batch.new_per_type` after the loop.
        let mut new_per_type = [0u64; 256];
        // The records already held, in one pass over the batch's key range rather than a
        // point read per key (the writer lock keeps them as they are).
        let view = self.view();
        let mut held = view.records_between(&first, &last).peekable();
        // The owner of the last new record (empty matches none: a reversed name, even the
        // root's, ends with a zero).
        let mut owner: Vec<u8> = Vec::new();
        for group in batches
            .iter_mut()
            .flat_map(|b| b.chunk_by_mut(|a, b| a.key == b.key))
        {
            let key = &group[0].key;
            let existing = held_value(&mut held, key)?;
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
            if !changed {
                relogs.clear();
                continue;
            }
            if !is_new {
                for (origin, old, new) in relogs.drain(..) {
                    batch.relog(key, origin, old, new);
                }
                batch.put(key, &value, false);
                continue;
            }
            relogs.clear();
            // A new record: one log line per origin, at the seq it ends with.
            for (origin, entry) in value.entries() {
                rows.log.push(&[&log_prefix(*origin, entry.seq), key]);
                match staged.iter_mut().find(|(o, _)| o == origin) {
                    Some((_, s)) => *s = (*s).min(entry.seq),
                    None => staged.push((*origin, entry.seq)),
                }
            }
            for_each_index_key(key, |parts| rows.rdata.push(parts));
            if let Ok(parts) = KeyParts::split(key) {
                match new_per_type.get_mut(usize::from(parts.rrtype.0)) {
                    Some(n) => *n += 1,
                    None => *batch.new_per_type.entry(parts.rrtype.0).or_default() += 1,
                }
                // Records come in owner order: most owners are the one before, whose
                // `names` line is already there.
                if owner != parts.reversed_name {
                    owner.clear();
                    owner.extend_from_slice(parts.reversed_name);
                    rows.names.push_with(|out| {
                        Name::write_wire_from_reversed(parts.reversed_name, out).is_ok()
                    });
                }
            }
            batch.report.changed += 1;
            batch.report.new_records += 1;
            rows.values.push_with(|out| {
                value.encode(out);
                true
            });
            rows.keys.push(std::mem::take(&mut group[0].key));
        }
        for (t, n) in (0u16..).zip(new_per_type) {
            if n > 0 {
                *batch.new_per_type.entry(t).or_default() += n;
            }
        }
        let merged = started.elapsed();
        if !rows.keys.is_empty() {
            self.ingest_new(rows)?;
            for (origin, seq) in staged {
                let lowest = state.staged_log.entry(origin).or_insert(seq);
                *lowest = (*lowest).min(seq);
            }
        }
        let report = self.finish_bulk(batch, &mut state, vv)?;
        tracing::debug!(
            entries = total,
            new = report.new_records,
            merged_ms = merged.as_millis() as u64,
            took_ms = started.elapsed().as_millis() as u64,
            "bulk write"
        );
        Ok(report)
    }

    /// Writes the rows of new records, in the order the module doc explains: the `log`
    /// and `names` runs on a second thread while this one writes the `rdata` run and then
    /// the `records` table, which joins the keyspace only once the runs are written.
    fn ingest_new(&self, rows: NewRows) -> Result<()> {
        self.meta
            .insert(meta::BULK_PENDING, [])
            .map_err(|e| self.engine(e))?;
        self.persist()?;
        let NewRows {
            keys,
            values,
            rdata,
            names,
            log,
        } = rows;
        let commit = |run: Option<Unsynced>| run.map_or(Ok(()), Unsynced::commit);
        std::thread::scope(|s| {
            let side = s.spawn(|| -> Result<()> {
                let log = self.stage_log(&log)?;
                let names = self.stage(Index::Names, &names)?;
                commit(log).and(commit(names))
            });
            let mine = self.stage(Index::Rdata, &rdata).and_then(|rdata| {
                // The run is synced while the records table is written.
                let synced = s.spawn(move || commit(rdata));
                let written = (|| {
                    // Already in key order, one row per key: records were grouped by key.
                    let mut ingestion =
                        self.records.start_ingestion().map_err(|e| self.engine(e))?;
                    for (k, v) in keys.into_iter().zip(values.iter()) {
                        ingestion.write(k, v).map_err(|e| self.engine(e))?;
                    }
                    Ok(ingestion)
                })();
                let synced = join(synced);
                let ingestion = written?;
                synced.map(|()| ingestion)
            });
            // Every side ends before an error is returned: no table is left half
            // written, and the records join their keyspace only once every run is
            // durable.
            let theirs = join(side);
            let ingestion = mine?;
            theirs?;
            ingestion.finish().map_err(|e| self.engine(e))
        })
    }

    /// Writes index rows as a run (sorted here) for [`Store::finish_bulk_load`], not yet
    /// durable.
    fn stage(&self, index: Index, rows: &Rows) -> Result<Option<Unsynced>> {
        self.spill.write_unsynced(index, rows.sorted())
    }

    /// Merges the rows staged by bulk writes into `rdata`, `names` and `log`: one pass
    /// over all runs of each, written as one new table run, after which the runs are
    /// deleted. Cheap when nothing is staged. The end of a snapshot calls it, and so
    /// does every open (a crash, or a load that never ended, leaves runs behind). The
    /// report's `readable` names the origins whose log lines became readable, and the
    /// lowest seq of each: log readers that passed it must read again.
    ///
    /// The merge takes seconds per ten million records and does not hold the writer
    /// lock, so a capture's writes go on meanwhile (and so may any other writer's: in
    /// a node the replication engine waits for this call). That is safe because:
    /// - `rdata` and `names` rows are only ever inserted, with empty values: a row
    ///   written beside the merge is the same row;
    /// - the origins with staged log lines stay staged until their runs are gone, so a
    ///   marker that would move such an origin's vector merges them first
    ///   ([`Store::merge_staged_log`], under the writer lock; it may merge and remove
    ///   the very runs this merge is reading, which writes the same rows twice);
    /// - the runs are listed, the log runs opened (an open run stays readable once
    ///   removed) and later removed under the writer lock, so no staged-log merge lists
    ///   a run this one removed;
    /// - a bulk write beside the merge stages runs of its own, left to the next call.
    pub fn finish_bulk_load(&self) -> Result<ApplyReport> {
        let _one_at_a_time = self.finishing.lock().unwrap_or_else(|p| p.into_inner());
        let (rdata, names, log, open_log, staged) = {
            let state = self.lock_writer();
            let log = self.spill.runs(Index::Log)?;
            // Opened under the lock: a staged-log merge may remove them before they are
            // read.
            let open_log = spill::open(&log)?;
            (
                self.spill.runs(Index::Rdata)?,
                self.spill.runs(Index::Names)?,
                log,
                open_log,
                state.staged_log.clone(),
            )
        };
        let mut report = ApplyReport::default();
        if rdata.is_empty() && names.is_empty() && log.is_empty() {
            return Ok(report);
        }
        let started = std::time::Instant::now();
        #[cfg(test)]
        self.pause_in_merge();
        std::thread::scope(|s| {
            let names = s.spawn(|| self.merge_runs(&self.names, spill::open(&names)?));
            let log = s.spawn(|| self.merge_runs(&self.log, open_log));
            let mine = spill::open(&rdata).and_then(|runs| self.merge_runs(&self.rdata, runs));
            let (names, log) = (join(names), join(log));
            mine.and(names).and(log)
        })?;
        // Only once all are in: a crash before this merges them again, harmlessly.
        self.spill.remove(&rdata)?;
        self.spill.remove(&names)?;
        let mut state = self.lock_writer();
        self.spill.remove(&log)?;
        // Lines a bulk write staged beside the merge are still in runs: their origins
        // stay staged (a later merge of them reports them readable again, harmlessly).
        if self.spill.runs(Index::Log)?.is_empty() {
            state.staged_log.clear();
        }
        report.readable = staged.into_iter().collect();
        tracing::info!(
            runs = rdata.len() + names.len() + log.len(),
            took_ms = started.elapsed().as_millis() as u64,
            "bulk load's secondary rows merged"
        );
        Ok(report)
    }

    /// Merges the staged `log` lines alone (the vector of an origin that has some is
    /// about to move: the lines it covers must be readable first), naming the origins
    /// and their lowest seqs in `report.readable`.
    pub(crate) fn merge_staged_log(
        &self,
        state: &mut WriterState,
        report: &mut ApplyReport,
    ) -> Result<()> {
        let runs = self.spill.runs(Index::Log)?;
        self.merge_runs(&self.log, spill::open(&runs)?)?;
        self.spill.remove(&runs)?;
        report.readable.extend(state.staged_log.drain());
        tracing::debug!(
            runs = runs.len(),
            "staged log lines merged before a vector update"
        );
        Ok(())
    }

    /// One keyspace's runs, merged into one new table run.
    fn merge_runs(&self, ks: &Keyspace, runs: Vec<spill::RunReader>) -> Result<()> {
        if runs.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let count = runs.len();
        let mut ingestion = ks.start_ingestion().map_err(|e| self.engine(e))?;
        spill::merge(runs, |row| {
            ingestion.write(row, []).map_err(|e| self.engine(e))
        })?;
        ingestion.finish().map_err(|e| self.engine(e))?;
        let keyspace: &str = ks.name().as_ref();
        tracing::debug!(
            keyspace,
            runs = count,
            took_ms = started.elapsed().as_millis() as u64,
            "runs merged"
        );
        Ok(())
    }

    /// Stages the `log` lines of new records. They were gathered record by record in key
    /// order, so ordering them by (origin, seq) alone, keeping the order of equal ones,
    /// orders them fully, without comparing record keys.
    fn stage_log(&self, lines: &Rows) -> Result<Option<Unsynced>> {
        let ordered: Vec<&[u8]> = lines.sorted_by_prefix(LOG_PREFIX).collect();
        // One pass to make sure (a run must be in order).
        if ordered.is_sorted() {
            self.spill.write_unsynced(Index::Log, ordered.into_iter())
        } else {
            self.spill.write_unsynced(Index::Log, lines.sorted())
        }
    }

    /// The last batch of a bulk apply: merges of existing records, the counters, the
    /// version vector, and the cleared marker.
    fn finish_bulk(
        &self,
        mut batch: Batch<'_>,
        state: &mut WriterState,
        vv: HashMap<OriginId, u64>,
    ) -> Result<ApplyReport> {
        crash_point();
        batch.remove_meta(meta::BULK_PENDING);
        batch.commit(state, vv)
    }

    /// After a crash inside a bulk apply (the marker is still set), the per-type counters
    /// may miss the records of the last ingested tables: count them again from `records`.
    pub(crate) fn recount_after_bulk(&self, state: &mut WriterState) -> Result<()> {
        if self
            .meta
            .get(meta::BULK_PENDING)
            .map_err(|e| self.engine(e))?
            .is_none()
        {
            return Ok(());
        }
        tracing::warn!(path = %self.path.display(), "a bulk write was interrupted: recounting records");
        let mut counts: HashMap<u16, u64> = HashMap::new();
        for item in self.view().records_after(None) {
            let (key, _) = item?;
            if let Ok(parts) = KeyParts::split(&key) {
                *counts.entry(parts.rrtype.0).or_default() += 1;
            }
        }
        let mut batch = self.db.batch();
        for (t, n) in &counts {
            batch.insert(&self.meta, meta::count_key(*t), n.to_be_bytes());
        }
        for t in state.counts.keys() {
            if !counts.contains_key(t) {
                batch.remove(&self.meta, meta::count_key(*t));
            }
        }
        batch.remove(&self.meta, meta::BULK_PENDING);
        batch.commit().map_err(|e| self.engine(e))?;
        state.counts = counts;
        Ok(())
    }
}

/// Where a test holds a merge of [`Store::finish_bulk_load`]: the merge says it has
/// reached the gate, then waits to be let through.
#[cfg(test)]
pub(crate) struct MergeGate {
    reached: std::sync::mpsc::SyncSender<()>,
    open: std::sync::mpsc::Receiver<()>,
}

#[cfg(test)]
impl Store {
    /// The next merge stops at the gate: the first channel says it is there, a send on
    /// the second lets it on.
    pub(crate) fn set_merge_gate(
        &self,
    ) -> (
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::SyncSender<()>,
    ) {
        let (reached, at_gate) = std::sync::mpsc::sync_channel(1);
        let (let_on, open) = std::sync::mpsc::sync_channel(1);
        *self.merge_gate.lock().unwrap() = Some(MergeGate { reached, open });
        (at_gate, let_on)
    }

    fn pause_in_merge(&self) {
        let gate = self.merge_gate.lock().unwrap().take();
        if let Some(gate) = gate {
            gate.reached.send(()).unwrap();
            gate.open.recv().unwrap();
        }
    }
}

/// Waits for a helper thread. A panic there is a bug here: carry it on.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Fault injection for crash tests: with `HEARSAY_CRASH_IN_BULK_WRITE=N` in its
/// environment, the process aborts in its Nth bulk write, between the tables and the last
/// batch, the worst moment for a crash. It runs once per bulk write.
fn crash_point() {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let at = AT.get_or_init(|| {
        std::env::var("HEARSAY_CRASH_IN_BULK_WRITE")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(at) = at
        && WRITES.fetch_add(1, Ordering::Relaxed) + 1 == *at
    {
        tracing::error!("HEARSAY_CRASH_IN_BULK_WRITE: aborting in bulk write {at}");
        std::process::abort();
    }
}

/// The value of `key` if `held` (records in key order, before `key` consumed) has it.
fn held_value(
    held: &mut std::iter::Peekable<RecordIter<'_>>,
    key: &[u8],
) -> Result<Option<RecordValue>> {
    loop {
        match held.peek() {
            None => return Ok(None),
            Some(Ok((k, _))) if k.as_slice() < key => {
                held.next();
            }
            Some(Ok((k, _))) if k.as_slice() == key => {
                return Ok(held.next().and_then(|r| r.ok()).map(|(_, v)| v));
            }
            Some(Ok(_)) => return Ok(None),
            Some(Err(_)) => {
                return match held.next() {
                    Some(Err(e)) => Err(e),
                    _ => Ok(None),
                };
            }
        }
    }
}

/// The first 16 bytes of `bytes` as a big-endian number, zero-padded: numbers compare as
/// the bytes do, up to the padding.
pub(crate) fn head(bytes: &[u8]) -> u128 {
    let mut head = [0u8; 16];
    let n = bytes.len().min(16);
    head[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;
    use hearsay_record::{Bailiwick, Entry, Name, RecordKey, RrType, Sighting};

    type Rows = Vec<(Vec<u8>, Vec<u8>)>;

    /// Every row of the replicated keyspaces and the counters.
    fn dump(store: &Store) -> Vec<(&'static str, Rows)> {
        let rows = |ks: &Keyspace| {
            ks.iter()
                .map(|kv| {
                    let (k, v) = kv.into_inner().unwrap();
                    (k.to_vec(), v.to_vec())
                })
                .collect::<Vec<_>>()
        };
        let counts = store
            .meta
            .prefix(meta::COUNT_PREFIX)
            .map(|kv| {
                let (k, v) = kv.into_inner().unwrap();
                (k.to_vec(), v.to_vec())
            })
            .collect();
        vec![
            ("records", rows(&store.records)),
            ("rdata", rows(&store.rdata)),
            ("names", rows(&store.names)),
            ("log", rows(&store.log)),
            ("counts", counts),
        ]
    }

    /// A pseudo-random key of a few types over a small set of names (so names repeat).
    fn key(n: u64) -> Vec<u8> {
        // Some at the root, which sorts first; only among the records new to the stores
        // below, so that its `names` line comes from the bulk write.
        let owner = if n >= 3000 && n.is_multiple_of(101) {
            Name::from_presentation(".").unwrap()
        } else {
            Name::from_presentation(&format!("h{}.zone{}.example", n % 997, n % 13)).unwrap()
        };
        let target = Name::from_presentation(&format!("ns{}.example.net", n % 7)).unwrap();
        let (t, rdata) = match n % 4 {
            0 => (RrType::A, (n as u32).to_be_bytes().to_vec()),
            1 => (RrType::NS, target.as_wire().to_vec()),
            2 => (RrType::CNAME, target.as_wire().to_vec()),
            _ => (RrType::AAAA, (n as u128).to_be_bytes().to_vec()),
        };
        RecordKey::new(owner, t, Bailiwick::Unknown, rdata)
            .unwrap()
            .encode()
    }

    fn entry(seq: u64, count: u64) -> Entry {
        Entry {
            time_first: 1000 + seq,
            time_last: 2000 + seq,
            count,
            seq,
        }
    }

    /// Two stores in the same state: some local records, some already replicated.
    fn twin_stores(dirs: &[tempfile::TempDir; 2]) -> [Store; 2] {
        [0, 1].map(|i| {
            let store = Store::open(dirs[i].path(), StoreOptions::default()).unwrap();
            for name in ["team-a", "team-b", "team-c"] {
                store.origin_id(name).unwrap();
            }
            let local: Vec<_> = (0..3000)
                .step_by(3)
                .map(|n| {
                    (
                        key(n),
                        Sighting {
                            time_first: 10,
                            time_last: 20,
                            count: 1,
                        },
                    )
                })
                .collect();
            store.apply_local(local).unwrap();
            let a = store.lookup_origin("team-a").unwrap();
            let earlier = (0..3000)
                .step_by(5)
                .map(|n| RemoteEntry {
                    key: key(n),
                    origin: a,
                    entry: entry(1, 1),
                })
                .collect();
            store.apply_remote(earlier, &[(a, 1)]).unwrap();
            store
        })
    }

    /// What a snapshot brings: three origins, several per record, some entries twice,
    /// the local origin's own entries echoed with a higher seq, in key order.
    fn snapshot(store: &Store) -> Vec<RemoteEntry> {
        let ids = ["team-a", "team-b", "team-c"].map(|o| store.lookup_origin(o).unwrap());
        let mut out = Vec::new();
        for n in 0..12_000u64 {
            for (i, id) in ids.iter().enumerate() {
                if !(n + i as u64).is_multiple_of(3) || (n % 2 == 0 && i == 0) {
                    out.push(RemoteEntry {
                        key: key(n),
                        origin: *id,
                        entry: entry(2 + n % 5, 1 + n % 4),
                    });
                }
            }
            if n % 11 == 0 {
                out.push(RemoteEntry {
                    key: key(n),
                    origin: ids[1],
                    entry: entry(9, 2),
                });
            }
            if n % 9 == 0
                && let Some(last) = out.last().cloned()
            {
                out.push(last);
            }
            if n % 500 == 0 {
                out.push(RemoteEntry {
                    key: key(n),
                    origin: store.local_origin(),
                    entry: entry(40 + n / 500, 1),
                });
            }
        }
        sort_entries(&mut out);
        out
    }

    /// Entries in batches as a snapshot's frames bring them: about 1,000 entries each,
    /// a record's entries never split.
    fn frames(entries: &[RemoteEntry]) -> Vec<Vec<RemoteEntry>> {
        let mut out: Vec<Vec<RemoteEntry>> = vec![Vec::new()];
        for group in entries.chunk_by(|a, b| a.key == b.key) {
            if out.last().is_some_and(|b| b.len() >= 1000) {
                out.push(Vec::new());
            }
            if let Some(b) = out.last_mut() {
                b.extend_from_slice(group);
            }
        }
        out
    }

    #[test]
    fn bulk_apply_writes_what_apply_remote_writes() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [plain, bulk] = twin_stores(&dirs);
        let entries = snapshot(&plain);
        assert!(entries.len() > BULK_MIN_ENTRIES);
        let want = plain.apply_remote(entries.clone(), &[]).unwrap();
        let before_load = dump(&bulk);
        let got = bulk.apply_bulk(frames(&entries)).unwrap();
        // The snapshot echoes this store's own entries with higher seqs, which moves its
        // vector: the staged log lines were merged before that (and reported readable,
        // from the lowest seq of each origin's new records).
        assert_eq!(
            ApplyReport {
                readable: Vec::new(),
                ..got.clone()
            },
            want
        );
        assert!(got.new_records > 5000 && got.changed > got.new_records && got.duplicates > 0);
        let staged: std::collections::BTreeMap<OriginId, u64> =
            got.lowest_changed.iter().copied().collect();
        let readable: std::collections::BTreeMap<OriginId, u64> =
            got.readable.iter().copied().collect();
        assert_eq!(
            readable.keys().collect::<Vec<_>>(),
            staged.keys().collect::<Vec<_>>()
        );
        assert!(
            readable.iter().all(|(o, s)| *s >= staged[o]),
            "{readable:?} {staged:?}"
        );
        // Until the load ends, the new records' index rows wait in runs: `rdata` and
        // `names` are as they were, everything else is written.
        let (loading, done) = (dump(&bulk), dump(&plain));
        for ((name, rows), ((_, want), (_, was))) in
            loading.iter().zip(done.iter().zip(before_load.iter()))
        {
            match *name {
                "rdata" | "names" => assert_eq!(rows, was, "{name}"),
                _ => assert_eq!(rows, want, "{name}"),
            }
        }
        // One run per keyspace and bulk write.
        assert_eq!(bulk.spill.runs(Index::Rdata).unwrap().len(), 1);
        assert!(bulk.spill.runs(Index::Log).unwrap().is_empty());
        assert_eq!(bulk.finish_bulk_load().unwrap(), ApplyReport::default());
        assert_eq!(dump(&bulk), dump(&plain));
        assert!(bulk.spill.runs(Index::Rdata).unwrap().is_empty());
        assert!(bulk.spill.runs(Index::Names).unwrap().is_empty());
        assert_eq!(bulk.version_vector(), plain.version_vector());
        assert_eq!(
            bulk.stats().unwrap().records,
            plain.stats().unwrap().records
        );
        assert_eq!(
            bulk.stats().unwrap().records_by_type,
            plain.stats().unwrap().records_by_type
        );

        // Received again (a resumed snapshot), in any order: nothing changes, every entry
        // is a duplicate.
        let mut shuffled = frames(&entries);
        shuffled.reverse();
        shuffled.push(entries[..100].to_vec());
        let again = bulk.apply_bulk(shuffled).unwrap();
        assert_eq!(
            (again.changed, again.duplicates),
            (0, entries.len() as u64 + 100)
        );
        assert!(bulk.spill.runs(Index::Rdata).unwrap().is_empty());
        assert_eq!(dump(&bulk), dump(&plain));

        // The tables and the last batch survive a reopen.
        let before = dump(&bulk);
        drop(bulk);
        let bulk = Store::open(dirs[1].path(), StoreOptions::default()).unwrap();
        assert_eq!(dump(&bulk), before);
        assert_eq!(
            bulk.stats().unwrap().records,
            plain.stats().unwrap().records
        );
    }

    #[test]
    fn staged_log_lines_become_readable_before_the_vector_covers_them() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [_, bulk] = twin_stores(&dirs);
        // No echo of the store's own entries, which would move its vector.
        let mut entries = snapshot(&bulk);
        entries.retain(|e| e.origin != bulk.local_origin());
        let c = bulk.lookup_origin("team-c").unwrap();
        let log_lines = |store: &Store, origin| store.view().log_from(origin, 0).count();
        bulk.apply_bulk(frames(&entries)).unwrap();
        // Only the lines of records held before are readable; the new ones are staged.
        let before = log_lines(&bulk, c);
        assert_eq!(bulk.spill.runs(Index::Log).unwrap().len(), 1);
        // Entries of another origin, no marker: nothing moves.
        let b = bulk.lookup_origin("team-b").unwrap();
        let fresh = |n: u64, origin| RemoteEntry {
            key: key(100_000 + n),
            origin,
            entry: entry(50, 1),
        };
        let r = bulk.apply_remote(vec![fresh(1, b)], &[]).unwrap();
        assert!(r.readable.is_empty());
        assert_eq!(log_lines(&bulk, c), before);
        // A marker for team-c: its staged lines (and every other origin's) are merged
        // first, and the report says from which seq they became readable.
        let r = bulk.apply_remote(vec![fresh(2, c)], &[(c, 50)]).unwrap();
        let readable: std::collections::BTreeMap<OriginId, u64> =
            r.readable.iter().copied().collect();
        assert_eq!(readable.get(&c), Some(&2), "{readable:?}");
        assert!(readable.contains_key(&b));
        assert!(log_lines(&bulk, c) > before + 1000);
        assert!(bulk.spill.runs(Index::Log).unwrap().is_empty());
        // The index runs wait for the end of the load.
        assert_eq!(bulk.spill.runs(Index::Rdata).unwrap().len(), 1);
        let done = bulk.finish_bulk_load().unwrap();
        assert!(done.readable.is_empty());
        assert!(bulk.spill.runs(Index::Rdata).unwrap().is_empty());
    }

    #[test]
    fn writes_go_on_while_a_load_is_merged() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [plain, bulk] = twin_stores(&dirs);
        // No echo of the store's own entries, which would merge the log lines at once.
        let mut entries = snapshot(&bulk);
        entries.retain(|e| e.origin != bulk.local_origin());
        plain.apply_remote(entries.clone(), &[]).unwrap();
        bulk.apply_bulk(frames(&entries)).unwrap();
        let c = bulk.lookup_origin("team-c").unwrap();
        let (at_gate, let_on) = bulk.set_merge_gate();
        let (plain, bulk) = (&plain, &bulk);
        std::thread::scope(|s| {
            let finishing = s.spawn(|| bulk.finish_bulk_load());
            at_gate.recv().unwrap();
            // Halfway through the merge: a capture's window, and a marker that moves the
            // vector of an origin whose log lines are still staged.
            let (done, wrote) = std::sync::mpsc::channel();
            s.spawn(move || {
                let local: Vec<_> = (20_000..20_100)
                    .map(|n| {
                        let s = Sighting {
                            time_first: 30,
                            time_last: 40,
                            count: 2,
                        };
                        (key(n), s)
                    })
                    .collect();
                let fresh = vec![RemoteEntry {
                    key: key(100_001),
                    origin: c,
                    entry: entry(50, 1),
                }];
                for store in [plain, bulk] {
                    store.apply_local(local.clone()).unwrap();
                }
                plain.apply_remote(fresh.clone(), &[(c, 50)]).unwrap();
                let report = bulk.apply_remote(fresh, &[(c, 50)]).unwrap();
                done.send(report).unwrap();
            });
            let report = wrote.recv_timeout(std::time::Duration::from_secs(60));
            let_on.send(()).unwrap();
            let report = report.expect("the writes waited for the merge");
            // The marker merged the staged lines first, as it does without a merge under
            // way, and said so.
            assert!(report.readable.iter().any(|(o, _)| *o == c), "{report:?}");
            let finished = finishing.join().unwrap().unwrap();
            assert!(finished.readable.iter().any(|(o, _)| *o == c));
        });
        assert_eq!(dump(bulk), dump(plain));
        assert_eq!(bulk.version_vector(), plain.version_vector());
        for index in [Index::Rdata, Index::Names, Index::Log] {
            assert!(bulk.spill.runs(index).unwrap().is_empty());
        }
        assert!(bulk.lock_writer().staged_log.is_empty());
    }

    #[test]
    fn a_load_that_never_ended_is_finished_by_the_next_open() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [plain, bulk] = twin_stores(&dirs);
        let entries = snapshot(&plain);
        plain.apply_remote(entries.clone(), &[]).unwrap();
        // Two loads' runs (say a snapshot interrupted, then the process killed in the
        // next one before its end).
        let (first, second) = entries.split_at(entries.len() / 2);
        bulk.apply_bulk(frames(first)).unwrap();
        bulk.apply_bulk(frames(second)).unwrap();
        assert_eq!(bulk.spill.runs(Index::Names).unwrap().len(), 2);
        drop(bulk);
        let bulk = Store::open(dirs[1].path(), StoreOptions::default()).unwrap();
        assert_eq!(dump(&bulk), dump(&plain));
        assert!(bulk.spill.runs(Index::Names).unwrap().is_empty());
        assert!(bulk.spill.runs(Index::Rdata).unwrap().is_empty());

        // A run damaged on disk: the open fails and names the file.
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [_, bulk] = twin_stores(&dirs);
        bulk.apply_bulk(frames(&snapshot(&bulk))).unwrap();
        let run = bulk.spill.runs(Index::Rdata).unwrap().remove(0);
        drop(bulk);
        let bytes = std::fs::read(&run).unwrap();
        std::fs::write(&run, &bytes[..bytes.len() - 3]).unwrap();
        let err = Store::open(dirs[1].path(), StoreOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains(&run.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn a_store_reopened_after_an_interrupted_bulk_write_recounts_its_records() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [_, store] = twin_stores(&dirs);
        let entries = snapshot(&store);
        store.apply_bulk(vec![entries]).unwrap();
        let want = store.stats().unwrap().records_by_type;
        // As if the process died after the record tables, before the last batch.
        store.meta.insert(meta::BULK_PENDING, []).unwrap();
        store
            .meta
            .insert(meta::count_key(1), 5u64.to_be_bytes())
            .unwrap();
        store
            .meta
            .insert(meta::count_key(99), 5u64.to_be_bytes())
            .unwrap();
        store.persist().unwrap();
        drop(store);
        let store = Store::open(dirs[1].path(), StoreOptions::default()).unwrap();
        assert_eq!(store.stats().unwrap().records_by_type, want);
        assert!(store.meta.get(meta::BULK_PENDING).unwrap().is_none());
    }
}
