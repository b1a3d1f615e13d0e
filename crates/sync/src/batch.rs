//! Record batches on the wire: entries sorted by key, keys prefix-compressed against
//! their predecessor, origins named once per batch, the whole compressed with zstd.
//!
//! ```text
//! varint origins, then per origin: varint length, name bytes
//! varint entries, then per entry:
//!   varint shared prefix with the previous key, varint suffix length, suffix bytes,
//!   varint origin index, entry (first, last − first, count, seq as varints)
//! ```
//!
//! Decoding checks every length against what is left, every key as a record key and
//! every origin name, and refuses to decompress beyond [`MAX_BATCH_BYTES`].

use std::cell::RefCell;
use std::collections::HashMap;

use hearsay_record::prefix::common_prefix;
use hearsay_record::{Entry, RecordKey, decode_entry, encode_entry, varint};
use hearsay_store::validate_origin_name;

use crate::ProtocolError;

/// Largest uncompressed batch accepted.
pub const MAX_BATCH_BYTES: usize = 8 << 20;
/// Largest record key (the storage engine's key limit).
const MAX_KEY: usize = 65_535;
/// zstd level: fast, and most of the gain (keys are prefix-compressed already).
const LEVEL: i32 = 3;
/// zstd level of snapshot batches: a snapshot moves millions of records, and there the
/// CPU is the limit, not the link (at 10M records: 2% more bytes, 12% less CPU for the
/// sender).
const SNAPSHOT_LEVEL: i32 = 1;

/// An origin's name as entries carry it: held inline (names of up to 23 bytes, which
/// is nearly all) or shared, so that naming the origin of each of millions of entries
/// neither allocates nor frees.
pub type Origin = smol_str::SmolStr;

/// One origin's entry for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireEntry {
    /// Encoded record key.
    pub key: Vec<u8>,
    /// The origin whose entry this is.
    pub origin: Origin,
    /// The entry.
    pub entry: Entry,
}

/// Encodes and compresses entries (sorted by key, then origin, first).
pub fn encode(entries: &mut [WireEntry]) -> std::io::Result<Vec<u8>> {
    encode_at(entries, LEVEL)
}

/// Encodes and compresses a snapshot's entries (already in order), faster.
pub fn encode_snapshot(entries: &mut [WireEntry]) -> std::io::Result<Vec<u8>> {
    encode_at(entries, SNAPSHOT_LEVEL)
}

fn encode_at(entries: &mut [WireEntry], level: i32) -> std::io::Result<Vec<u8>> {
    let order =
        |a: &WireEntry, b: &WireEntry| a.key.cmp(&b.key).then_with(|| a.origin.cmp(&b.origin));
    // Log and snapshot reads come sorted already: one pass instead of a sort's copy.
    if !entries.is_sorted_by(|a, b| order(a, b).is_le()) {
        entries.sort_by(order);
    }
    compress_at(&encode_raw(entries), level)
}

/// zstd at the protocol's level.
pub fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    compress_at(raw, LEVEL)
}

thread_local! {
    /// zstd contexts, one per level, kept by each thread that compresses: a fresh
    /// context per batch (what `zstd::bulk::compress` makes) allocated and cleared its
    /// tables every time, a fifth of a snapshot sender's compression time.
    static COMPRESSORS: RefCell<Vec<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(Vec::new()) };
    /// The same for decompression.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Compresses `raw` at `level` with this thread's context for that level (each call is
/// a frame of its own: zstd resets the context's session, not its parameters).
fn compress_at(raw: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    COMPRESSORS.with(|cell| {
        let mut compressors = cell.borrow_mut();
        let i = match compressors.iter().position(|(l, _)| *l == level) {
            Some(i) => i,
            None => {
                compressors.push((level, zstd::bulk::Compressor::new(level)?));
                compressors.len() - 1
            }
        };
        compressors[i].1.compress(raw)
    })
}

/// Decompresses one batch, at most `capacity` bytes, with this thread's context.
fn decompress(compressed: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decompressor = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(zstd::bulk::Decompressor::new()?),
        };
        decompressor.decompress(compressed, capacity)
    })
}

/// The uncompressed encoding (also what the bandwidth baseline compresses).
pub fn encode_raw(entries: &[WireEntry]) -> Vec<u8> {
    let mut origins: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, u64> = HashMap::new();
    let mut previous = None;
    for e in entries {
        // Runs of one origin are the rule: hash each run's origin once.
        if previous == Some(e.origin.as_str()) {
            continue;
        }
        previous = Some(e.origin.as_str());
        if !index.contains_key(e.origin.as_str()) {
            index.insert(&e.origin, origins.len() as u64);
            origins.push(&e.origin);
        }
    }
    let mut out = Vec::with_capacity(entries.len() * 24 + 64);
    varint::put(&mut out, origins.len() as u64);
    for o in &origins {
        varint::put(&mut out, o.len() as u64);
        out.extend_from_slice(o.as_bytes());
    }
    varint::put(&mut out, entries.len() as u64);
    let mut prev: &[u8] = &[];
    // Runs of one origin are the rule: look its index up once per run.
    let mut last: (&str, u64) = ("", 0);
    for e in entries {
        let shared = common_prefix(prev, &e.key);
        varint::put(&mut out, shared as u64);
        varint::put(&mut out, (e.key.len() - shared) as u64);
        out.extend_from_slice(&e.key[shared..]);
        if last.0 != e.origin {
            last = (
                &e.origin,
                index.get(e.origin.as_str()).copied().unwrap_or(0),
            );
        }
        varint::put(&mut out, last.1);
        encode_entry(&mut out, &e.entry);
        prev = &e.key;
    }
    out
}

/// Decompresses and decodes a batch, validating everything.
pub fn decode(compressed: &[u8]) -> Result<Vec<WireEntry>, ProtocolError> {
    let raw = decompress(compressed, MAX_BATCH_BYTES)
        .map_err(|_| ProtocolError::BadBatch("does not decompress within the size limit"))?;
    decode_raw(&raw)
}

fn decode_raw(mut input: &[u8]) -> Result<Vec<WireEntry>, ProtocolError> {
    let bad = ProtocolError::BadBatch;
    let n_origins = varint::get(&mut input).map_err(|_| bad("origin count"))?;
    if n_origins > input.len() as u64 {
        return Err(bad("origin count larger than the batch"));
    }
    let mut origins = Vec::with_capacity(n_origins as usize);
    for _ in 0..n_origins {
        let len = varint::get(&mut input).map_err(|_| bad("origin length"))? as usize;
        let name = input.get(..len).ok_or(bad("origin name past the end"))?;
        let name = std::str::from_utf8(name).map_err(|_| bad("origin name not UTF-8"))?;
        validate_origin_name(name).map_err(|_| bad("invalid origin name"))?;
        origins.push(Origin::new(name));
        input = &input[len..];
    }
    let n = varint::get(&mut input).map_err(|_| bad("entry count"))?;
    if n > input.len() as u64 {
        return Err(bad("entry count larger than the batch"));
    }
    let mut out: Vec<WireEntry> = Vec::with_capacity(n as usize);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..n {
        let shared = varint::get(&mut input).map_err(|_| bad("prefix length"))? as usize;
        let suffix_len = varint::get(&mut input).map_err(|_| bad("suffix length"))? as usize;
        if shared > prev.len() || shared.saturating_add(suffix_len) > MAX_KEY {
            return Err(bad("key length"));
        }
        let suffix = input.get(..suffix_len).ok_or(bad("key past the end"))?;
        let mut key = Vec::with_capacity(shared + suffix_len);
        key.extend_from_slice(&prev[..shared]);
        key.extend_from_slice(suffix);
        input = &input[suffix_len..];
        RecordKey::validate(&key).map_err(|_| bad("invalid record key"))?;
        let idx = varint::get(&mut input).map_err(|_| bad("origin index"))? as usize;
        let origin = origins
            .get(idx)
            .ok_or(bad("origin index out of range"))?
            .clone();
        let entry = decode_entry(&mut input).map_err(|_| bad("entry"))?;
        prev.clone_from(&key);
        out.push(WireEntry { key, origin, entry });
    }
    if !input.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::{Bailiwick, Name, RrType};
    use proptest::prelude::*;

    fn key(name: &str, last: u8) -> Vec<u8> {
        RecordKey::new(
            Name::from_presentation(name).unwrap(),
            RrType::A,
            Bailiwick::Unknown,
            vec![192, 0, 2, last],
        )
        .unwrap()
        .encode()
    }

    fn entry(seq: u64) -> Entry {
        Entry {
            time_first: 1_100_000_000,
            time_last: 1_100_000_500,
            count: 3,
            seq,
        }
    }

    #[test]
    fn round_trip_sorted_and_compact() {
        let mut entries: Vec<WireEntry> = (0..500u32)
            .map(|i| WireEntry {
                key: key(&format!("host{}.example.com", i % 250), (i % 7) as u8),
                origin: if i % 3 == 0 {
                    "cert-a".into()
                } else {
                    "cert-b".into()
                },
                entry: entry(u64::from(i)),
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key).then(a.origin.cmp(&b.origin)));
        entries.dedup_by(|a, b| a.key == b.key && a.origin == b.origin);
        let mut shuffled = entries.clone();
        shuffled.reverse();
        let wire = encode(&mut shuffled).unwrap();
        assert_eq!(decode(&wire).unwrap(), entries);
        let plain: usize = entries.iter().map(|e| e.key.len() + 20).sum();
        assert!(
            wire.len() * 4 < plain,
            "{} compressed vs {plain} plain",
            wire.len()
        );
    }

    #[test]
    fn rejects_garbage_and_bombs() {
        assert!(decode(b"not zstd").is_err());
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_BATCH_BYTES + 1], 3).unwrap();
        assert!(decode(&bomb).is_err());
        // A bad origin name and an index out of range.
        let mut raw = Vec::new();
        varint::put(&mut raw, 1);
        varint::put(&mut raw, 3);
        raw.extend_from_slice(b"B A");
        varint::put(&mut raw, 0);
        assert!(decode_raw(&raw).is_err());
        let good = encode_raw(&[WireEntry {
            key: key("a.example", 1),
            origin: "x".into(),
            entry: entry(1),
        }]);
        let mut bad_idx = good.clone();
        let mut tail = Vec::new();
        encode_entry(&mut tail, &entry(1));
        let pos = good.len() - tail.len() - 1; // the origin index sits before the entry
        bad_idx[pos] = 9;
        assert!(decode_raw(&bad_idx).is_err());
        assert_eq!(decode_raw(&good).unwrap().len(), 1);
    }

    /// Origin names of every allowed length round-trip, the long ones (past what an
    /// `Origin` holds inline) too.
    #[test]
    fn origin_names_up_to_64_bytes_round_trip() {
        let mut entries: Vec<WireEntry> = [1usize, 23, 24, 64]
            .iter()
            .enumerate()
            .map(|(i, n)| WireEntry {
                key: key("long.example", i as u8),
                origin: "o".repeat(*n).into(),
                entry: entry(i as u64),
            })
            .collect();
        let wire = encode(&mut entries.clone()).unwrap();
        entries.sort_by(|a, b| a.key.cmp(&b.key).then(a.origin.cmp(&b.origin)));
        let got = decode(&wire).unwrap();
        assert_eq!(got, entries);
        assert_eq!(got.iter().map(|e| e.origin.len()).max(), Some(64));
    }

    /// A thread's kept contexts make the frames fresh ones would, whatever was
    /// compressed or refused before on that thread.
    #[test]
    fn kept_contexts_make_what_fresh_ones_make() {
        let raws: Vec<Vec<u8>> = (0..4u32)
            .map(|i| {
                (0..20_000u32)
                    .map(|j| ((j * (i + 3)) % 251) as u8)
                    .collect()
            })
            .collect();
        for (n, raw) in raws.iter().enumerate() {
            for level in [SNAPSHOT_LEVEL, LEVEL, SNAPSHOT_LEVEL] {
                let fresh = zstd::bulk::compress(raw, level).unwrap();
                assert_eq!(
                    compress_at(raw, level).unwrap(),
                    fresh,
                    "batch {n} level {level}"
                );
                assert!(decompress(b"garbage that is not zstd", MAX_BATCH_BYTES).is_err());
                assert!(decompress(&fresh, raw.len() - 1).is_err());
                assert_eq!(&decompress(&fresh, MAX_BATCH_BYTES).unwrap(), raw);
            }
        }
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_raw(&bytes);
            let _ = decode(&bytes);
        }
    }
}
