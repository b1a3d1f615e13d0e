//! Reading through a consistent snapshot: point gets, prefix scans of records and of
//! the reverse index, and the replication log.

use fjall::{Iter, Readable, Snapshot};
use hearsay_record::{Entry, OriginId, RecordValue, decode_entries};

use crate::keys::{log_key, log_prefix, parse_log_key};
use crate::{Result, Store, StoreError};

/// A consistent, read-only view of the store at one point in time.
pub struct View<'s> {
    store: &'s Store,
    snapshot: Snapshot,
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("seqno", &self.snapshot.seqno())
            .finish()
    }
}

impl Store {
    /// A snapshot view for reading.
    pub fn view(&self) -> View<'_> {
        View {
            store: self,
            snapshot: self.db.snapshot(),
        }
    }
}

impl<'s> View<'s> {
    /// The store this view reads.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// A record's value.
    pub fn get(&self, key: &[u8]) -> Result<Option<RecordValue>> {
        let Some(bytes) = self
            .snapshot
            .get(&self.store.records, key)
            .map_err(|e| self.store.engine(e))?
        else {
            return Ok(None);
        };
        RecordValue::decode(&bytes)
            .map(Some)
            .map_err(|e| self.store.corrupt("record value", e))
    }

    /// Records whose key starts with `prefix`, in key order.
    pub fn records_prefix(&self, prefix: &[u8]) -> RecordIter<'s> {
        RecordIter {
            store: self.store,
            inner: self.snapshot.prefix(&self.store.records, prefix),
        }
    }

    /// Records with keys strictly after `after` (all records if `None`), in key order:
    /// the resumable cursor of a snapshot stream or an export.
    pub fn records_after(&self, after: Option<&[u8]>) -> RecordIter<'s> {
        RecordIter {
            store: self.store,
            inner: self.records_range(after),
        }
    }

    /// The `records` keyspace after `after` (all of it for `None`).
    fn records_range(&self, after: Option<&[u8]>) -> Iter {
        match after {
            None => self.snapshot.iter(&self.store.records),
            Some(k) => self.snapshot.range::<&[u8], _>(
                &self.store.records,
                (std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded),
            ),
        }
    }

    /// Up to `max` records after `after`, in key order, each as its key and what
    /// `entry` makes of its entries (those it returns `None` for are left out), without
    /// a [`RecordValue`] per record: the snapshot sender's read.
    pub fn records_after_with<T>(
        &self,
        after: Option<&[u8]>,
        max: usize,
        mut entry: impl FnMut(OriginId, Entry) -> Option<T>,
    ) -> Result<Vec<(Vec<u8>, Vec<T>)>> {
        let mut out = Vec::with_capacity(max.min(4096));
        for kv in self.records_range(after).take(max) {
            let (k, v) = kv.into_inner().map_err(|e| self.store.engine(e))?;
            let mut entries = Vec::with_capacity(1);
            decode_entries(&v, |origin, e| entries.extend(entry(origin, e)))
                .map_err(|e| self.store.corrupt("record value", e))?;
            out.push((k.to_vec(), entries));
        }
        Ok(out)
    }

    /// Records with keys from `first` to `last` (both included), in key order.
    pub fn records_between(&self, first: &[u8], last: &[u8]) -> RecordIter<'s> {
        RecordIter {
            store: self.store,
            inner: self
                .snapshot
                .range::<&[u8], _>(&self.store.records, first..=last),
        }
    }

    /// Index keys of the `rdata` keyspace that start with `prefix`.
    pub fn index_prefix(&self, prefix: &[u8]) -> IndexIter<'s> {
        IndexIter {
            store: self.store,
            inner: self.snapshot.prefix(&self.store.rdata, prefix),
        }
    }

    /// Owner names (wire form, leaf first) starting with `prefix`: right-hand wildcards
    /// (`www.example.*` is the prefix `\x03www\x07example`).
    pub fn names_prefix(&self, prefix: &[u8]) -> IndexIter<'s> {
        IndexIter {
            store: self.store,
            inner: self.snapshot.prefix(&self.store.names, prefix),
        }
    }

    /// NXDOMAIN names whose `reversed qname | qtype` key starts with `prefix`: (key,
    /// first, last, count).
    pub fn nxdomain_prefix(
        &self,
        prefix: &[u8],
    ) -> impl Iterator<Item = Result<(Vec<u8>, hearsay_record::Entry)>> + use<'s> {
        let store = self.store;
        self.snapshot
            .prefix(&self.store.nxdomain, prefix)
            .map(move |kv| {
                let (k, v) = kv.into_inner().map_err(|e| store.engine(e))?;
                let mut input = &v[..];
                let e = hearsay_record::decode_entry(&mut input)
                    .map_err(|e| store.corrupt("nxdomain value", e))?;
                Ok((k.to_vec(), e))
            })
    }

    /// Index keys in `[from, to)`.
    pub fn index_range(&self, from: &[u8], to: &[u8]) -> IndexIter<'s> {
        IndexIter {
            store: self.store,
            inner: self.snapshot.range(&self.store.rdata, from..to),
        }
    }

    /// The log of `origin` from `from_seq` (inclusive): (seq, record key) in seq order.
    pub fn log_from(&self, origin: OriginId, from_seq: u64) -> LogIter<'s> {
        self.log_after(origin, from_seq, None)
    }

    /// The log of `origin` strictly after position `(seq, key)`, or from `seq`
    /// (inclusive) when `after_key` is `None`: (seq, record key) in log order.
    pub fn log_after(&self, origin: OriginId, seq: u64, after_key: Option<&[u8]>) -> LogIter<'s> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let start = match after_key {
            Some(key) => Excluded(log_key(origin, seq, key)),
            None => Included(log_prefix(origin, seq).to_vec()),
        };
        let end = match origin.0.checked_add(1) {
            Some(next) => Excluded(log_prefix(OriginId(next), 0).to_vec()),
            None => Unbounded,
        };
        let inner = self
            .snapshot
            .range::<Vec<u8>, _>(&self.store.log, (start, end));
        LogIter {
            store: self.store,
            inner,
        }
    }
}

/// Iterator over `(record key, value)`.
pub struct RecordIter<'s> {
    store: &'s Store,
    inner: Iter,
}

impl Iterator for RecordIter<'_> {
    type Item = Result<(Vec<u8>, RecordValue)>;
    fn next(&mut self) -> Option<Self::Item> {
        let kv = self.inner.next()?;
        Some(
            kv.into_inner()
                .map_err(|e| self.store.engine(e))
                .and_then(|(k, v)| {
                    let value = RecordValue::decode(&v)
                        .map_err(|e| self.store.corrupt("record value", e))?;
                    Ok((k.to_vec(), value))
                }),
        )
    }
}

/// Iterator over raw index keys.
pub struct IndexIter<'s> {
    store: &'s Store,
    inner: Iter,
}

impl Iterator for IndexIter<'_> {
    type Item = Result<Vec<u8>>;
    fn next(&mut self) -> Option<Self::Item> {
        let kv = self.inner.next()?;
        Some(
            kv.key()
                .map(|k| k.to_vec())
                .map_err(|e| self.store.engine(e)),
        )
    }
}

/// Iterator over `(seq, record key)` of one origin's log.
pub struct LogIter<'s> {
    store: &'s Store,
    inner: Iter,
}

impl Iterator for LogIter<'_> {
    type Item = Result<(u64, Vec<u8>)>;
    fn next(&mut self) -> Option<Self::Item> {
        let kv = self.inner.next()?;
        Some(kv.key().map_err(|e| self.store.engine(e)).and_then(|k| {
            let (_, seq, record_key) = parse_log_key(&k).ok_or_else(|| StoreError::Corrupt {
                path: self.store.path.clone(),
                what: "log key",
                detail: format!("{} bytes", k.len()),
            })?;
            Ok((seq, record_key.to_vec()))
        }))
    }
}

macro_rules! debug_iter {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}
debug_iter!(RecordIter, IndexIter, LogIter);
