//! Secondary rows of a bulk load, staged in sorted run files and merged once at its end.
//!
//! A snapshot's records arrive in key order; their `rdata`, `names` and `log` rows do
//! not. Each bulk write's rows, ingested as a table, overlapped every table before it,
//! and fjall merged the growing keyspaces again every few writes: at 10M records that
//! compaction, and what it still had to do once the records were in, was the largest
//! part of the bootstrap. Instead each bulk write sorts its rows into one run file per
//! keyspace here, and [`Store::finish_bulk_load`](crate::Store::finish_bulk_load) merges
//! all the runs of a keyspace once, in one pass, into one new table run.
//!
//! A run file holds rows in strictly increasing order, each as the length of the prefix
//! it shares with the row before and the length of the rest (little-endian `u16`s), then
//! the rest: sorted rows share long prefixes, and a run is about half the bytes written
//! and read back. It is written under a temporary name, synced and renamed, so a run
//! exists whole or not at all; a file that does not decode (or is out of order) is
//! reported as corrupt, never trusted.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hearsay_record::prefix::common_prefix;

use crate::{Result, StoreError};

/// The longest row a run may hold (our keys are far shorter).
const MAX_ROW: usize = u16::MAX as usize;

/// The keyspaces whose rows are staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    Rdata,
    Names,
    Log,
}

impl Index {
    fn suffix(self) -> &'static str {
        match self {
            Index::Rdata => "rdata",
            Index::Names => "names",
            Index::Log => "log",
        }
    }
}

/// The run files of a store, in `<store>/bulk-runs`.
#[derive(Debug)]
pub(crate) struct Spill {
    dir: PathBuf,
    next: AtomicU64,
}

impl Spill {
    /// The runs directory of the store in `store_dir` (created when first written to);
    /// removes what an interrupted write left behind.
    pub(crate) fn open(store_dir: &Path) -> Result<Spill> {
        let dir = store_dir.join("bulk-runs");
        let mut next = 0;
        if dir.exists() {
            for (n, path) in list(&dir)? {
                if path.extension().is_some_and(|e| e == "tmp") {
                    std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                }
                next = next.max(n + 1);
            }
        }
        Ok(Spill {
            dir,
            next: AtomicU64::new(next),
        })
    }

    /// Writes `rows` (in increasing order; repeats are written once) as a new run of
    /// `index`, durably.
    #[cfg(test)]
    pub(crate) fn write_run<'k>(
        &self,
        index: Index,
        rows: impl Iterator<Item = &'k [u8]>,
    ) -> Result<()> {
        self.write_unsynced(index, rows)?
            .map_or(Ok(()), |run| run.commit())
    }

    /// Writes `rows` (in increasing order; repeats are written once) as a new run of
    /// `index`, not yet durable: the caller makes it so with [`Unsynced::commit`], so
    /// that syncing overlaps other work. A run never committed is removed by the next
    /// open.
    pub(crate) fn write_unsynced<'k>(
        &self,
        index: Index,
        rows: impl Iterator<Item = &'k [u8]>,
    ) -> Result<Option<Unsynced>> {
        let mut rows = rows.peekable();
        if rows.peek().is_none() {
            return Ok(None);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!("{n:010}.{}.tmp", index.suffix()));
        let file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut last: Option<&[u8]> = None;
        for row in rows {
            // One pass over the bytes both rows share tells a repeat, the order and what
            // the row adds.
            let shared = last.map_or(0, |l| common_prefix(l, row));
            let ordered = match last {
                None => true,
                // A repeat: written once.
                Some(l) if shared == l.len() && shared == row.len() => continue,
                Some(l) => match (l.get(shared), row.get(shared)) {
                    (Some(a), Some(b)) => a < b,
                    (None, _) => true,
                    (Some(_), None) => false,
                },
            };
            if !ordered || row.len() > MAX_ROW {
                return Err(StoreError::Corrupt {
                    path: tmp,
                    what: "bulk-load run",
                    detail: "rows out of order or too long".into(),
                });
            }
            let rest = &row[shared..];
            // Both fit: rows are at most MAX_ROW bytes.
            let header = [
                (shared as u16).to_le_bytes(),
                (rest.len() as u16).to_le_bytes(),
            ];
            out.write_all(header.as_flattened())
                .and_then(|()| out.write_all(rest))
                .map_err(|e| io(&tmp, e))?;
            last = Some(row);
        }
        let file = out.into_inner().map_err(|e| io(&tmp, e.into_error()))?;
        Ok(Some(Unsynced {
            file,
            tmp,
            dir: self.dir.clone(),
        }))
    }

    /// The runs of `index` waiting to be merged, oldest first.
    pub(crate) fn runs(&self, index: Index) -> Result<Vec<PathBuf>> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let wanted = format!("{}.run", index.suffix());
        Ok(list(&self.dir)?
            .into_iter()
            .filter(|(_, p)| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&wanted))
            })
            .map(|(_, p)| p)
            .collect())
    }

    /// Deletes merged runs (a run already gone was merged and removed by another merge
    /// of the log lines: see `Store::finish_bulk_load`).
    pub(crate) fn remove(&self, runs: &[PathBuf]) -> Result<()> {
        for run in runs {
            match std::fs::remove_file(run) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(run, e)),
                _ => {}
            }
        }
        if runs.is_empty() {
            Ok(())
        } else {
            sync_dir(&self.dir)
        }
    }
}

/// A run written but not yet durable (still under its temporary name).
#[derive(Debug)]
pub(crate) struct Unsynced {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
}

impl Unsynced {
    /// Syncs the run and gives it its name: from now on it survives a crash.
    pub(crate) fn commit(self) -> Result<()> {
        self.file.sync_all().map_err(|e| io(&self.tmp, e))?;
        let run = self.tmp.with_extension("run");
        std::fs::rename(&self.tmp, &run).map_err(|e| io(&run, e))?;
        sync_dir(&self.dir)
    }
}

/// Opens `runs` for [`merge`]. An open run stays readable when another merge of the
/// same runs removes it meanwhile (a removed file lives on while it is open).
pub(crate) fn open(runs: &[PathBuf]) -> Result<Vec<RunReader>> {
    runs.iter()
        .map(|p| {
            let file = File::open(p).map_err(|e| io(p, e))?;
            Ok(RunReader {
                input: BufReader::with_capacity(256 << 10, file),
                path: p.clone(),
            })
        })
        .collect()
}

/// Merges runs opened by [`open`] into one strictly increasing stream of rows (repeats
/// once), handing each row to `out`.
pub(crate) fn merge(
    mut readers: Vec<RunReader>,
    mut out: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    // The smallest row of each run, with the run it came from. The top's run reads its
    // next row into the same buffer, which then sinks to its place: one sift per row,
    // and no allocation.
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (run, r) in readers.iter_mut().enumerate() {
        let mut row = Vec::new();
        if r.next_row(&mut row)? {
            heap.push(Reverse(Head::new(row, run)));
        }
    }
    let mut last: Vec<u8> = Vec::new();
    let mut first = true;
    while let Some(mut top) = heap.peek_mut() {
        let Reverse(Head { head, row, run }) = &mut *top;
        if first || *row != last {
            if !first && *row < last {
                return Err(StoreError::Corrupt {
                    path: readers[*run].path.clone(),
                    what: "bulk-load run",
                    detail: "rows out of order".into(),
                });
            }
            out(row)?;
            last.clear();
            last.extend_from_slice(row);
            first = false;
        }
        if readers[*run].next_row(row)? {
            *head = crate::bulk::head(row);
        } else {
            std::collections::binary_heap::PeekMut::pop(top);
        }
    }
    Ok(())
}

/// A run's current row, ordered by its first 16 bytes as a number first (most
/// comparisons end there, without following the pointer), then by all its bytes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Head {
    head: u128,
    row: Vec<u8>,
    run: usize,
}

impl Head {
    fn new(row: Vec<u8>, run: usize) -> Self {
        Head {
            head: crate::bulk::head(&row),
            row,
            run,
        }
    }
}

/// An open run, read row by row.
pub(crate) struct RunReader {
    input: BufReader<File>,
    path: PathBuf,
}

impl RunReader {
    /// Reads the next row into `row`, which holds this run's row before (empty at its
    /// start); false at the end of the run.
    fn next_row(&mut self, row: &mut Vec<u8>) -> Result<bool> {
        let mut header = [0u8; 4];
        match read_full(&mut self.input, &mut header).map_err(|e| io(&self.path, e))? {
            0 => return Ok(false),
            4 => {}
            n => return Err(self.corrupt(format!("a row header cut after {n} bytes"))),
        }
        let shared = usize::from(u16::from_le_bytes([header[0], header[1]]));
        let rest = usize::from(u16::from_le_bytes([header[2], header[3]]));
        if shared > row.len() || shared + rest > MAX_ROW {
            return Err(self.corrupt(format!(
                "a row sharing {shared} bytes with one of {}, plus {rest}",
                row.len()
            )));
        }
        row.truncate(shared);
        row.resize(shared + rest, 0);
        self.input.read_exact(&mut row[shared..]).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.corrupt("a row cut short".to_string())
            } else {
                io(&self.path, e)
            }
        })?;
        Ok(true)
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: "bulk-load run",
            detail,
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The numbered files of the runs directory, in number order.
fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = item.map_err(|e| io(dir, e))?.path();
        let n = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = n {
            out.push((n, path));
        }
    }
    out.sort();
    Ok(out)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(run: &[&str]) -> Vec<Vec<u8>> {
        run.iter().map(|r| r.as_bytes().to_vec()).collect()
    }

    fn merged(spill: &Spill, index: Index) -> Result<Vec<String>> {
        let mut out = Vec::new();
        merge(open(&spill.runs(index)?)?, |r| {
            out.push(String::from_utf8_lossy(r).into_owned());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn a_run_is_written_only_from_rows_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::open(dir.path()).unwrap();
        for bad in [&["b", "a"][..], &["ab", "a"], &["a", "b", "b", "ab"]] {
            let run = rows(bad);
            let err = spill
                .write_run(Index::Rdata, run.iter().map(Vec::as_slice))
                .unwrap_err();
            assert!(err.to_string().contains("out of order"), "{bad:?}: {err}");
        }
        let long = vec![7u8; MAX_ROW + 1];
        assert!(
            spill
                .write_run(Index::Rdata, [long.as_slice()].into_iter())
                .is_err()
        );
    }

    #[test]
    fn runs_merge_in_order_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::open(dir.path()).unwrap();
        for run in [
            &["b", "d", "d", "f"][..],
            &["a", "d", "g"],
            &[],
            &["c", "f"],
        ] {
            let run = rows(run);
            spill
                .write_run(Index::Rdata, run.iter().map(Vec::as_slice))
                .unwrap();
        }
        // Rows that share prefixes with the row before (and one that is a prefix of the
        // next).
        let names = rows(&["x", "xyz-1", "xyz-12", "xyz-2", "y"]);
        spill
            .write_run(Index::Names, names.iter().map(Vec::as_slice))
            .unwrap();
        assert_eq!(
            merged(&spill, Index::Rdata).unwrap(),
            ["a", "b", "c", "d", "f", "g"]
        );
        assert_eq!(
            merged(&spill, Index::Names).unwrap(),
            ["x", "xyz-1", "xyz-12", "xyz-2", "y"]
        );
        // Reopened: the runs are found again and new ones are numbered after them.
        let spill = Spill::open(dir.path()).unwrap();
        let more = rows(&["e"]);
        spill
            .write_run(Index::Rdata, more.iter().map(Vec::as_slice))
            .unwrap();
        let runs = spill.runs(Index::Rdata).unwrap();
        assert_eq!(runs.len(), 4);
        assert_eq!(merged(&spill, Index::Rdata).unwrap().len(), 7);
        spill.remove(&runs).unwrap();
        assert!(spill.runs(Index::Rdata).unwrap().is_empty());
        assert_eq!(spill.runs(Index::Names).unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_run_is_reported_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::open(dir.path()).unwrap();
        let run = rows(&["aaaa", "bbbb"]);
        spill
            .write_run(Index::Rdata, run.iter().map(Vec::as_slice))
            .unwrap();
        let path = spill.runs(Index::Rdata).unwrap().remove(0);
        let bytes = std::fs::read(&path).unwrap();
        // Cut short, a length beyond the limit, rows out of order.
        let mut reordered = bytes[8..].to_vec();
        reordered.extend_from_slice(&bytes[..8]);
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        for (damage, expect) in [
            (bytes[..bytes.len() - 1].to_vec(), "cut short"),
            (
                bytes[..bytes.len() - 6].to_vec(),
                "header cut after 2 bytes",
            ),
            (huge, "sharing 65535 bytes with one of 0"),
            (reordered, "out of order"),
        ] {
            std::fs::write(&path, &damage).unwrap();
            let err = merged(&spill, Index::Rdata).unwrap_err().to_string();
            assert!(err.contains(expect), "{err}");
            assert!(err.contains("bulk-runs"), "{err}");
        }
    }

    #[test]
    fn a_run_left_half_written_is_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("bulk-runs");
        std::fs::create_dir_all(&runs).unwrap();
        std::fs::write(runs.join("0000000007.rdata.tmp"), b"\x05\x00").unwrap();
        let spill = Spill::open(dir.path()).unwrap();
        assert!(spill.runs(Index::Rdata).unwrap().is_empty());
        assert!(!runs.join("0000000007.rdata.tmp").exists());
        let run = rows(&["a"]);
        spill
            .write_run(Index::Rdata, run.iter().map(Vec::as_slice))
            .unwrap();
        assert!(runs.join("0000000008.rdata.run").exists());
    }
}
