//! Byte layouts of the keys in the `rdata`, `log` and `meta` keyspaces.
//!
//! * `rdata`: `tag | indexed bytes | reversed rrname | rrtype | bailiwick | rdata rest`,
//!   value empty. Tags: [`TAG_V4`] (4 address bytes: a CIDR is a range of keys),
//!   [`TAG_V6`] (16 bytes), [`TAG_NAME`] (a target name in the reversed encoding, with
//!   its terminator: a name and everything below it share a prefix), [`TAG_RAW`] (an
//!   8-byte hash of the rdata, for exact lookups of types the other tags do not cover).
//!   The record key is the rest of the index key, except that rdata already spelled out
//!   by the indexed bytes is not repeated: an A/AAAA record's address, and the target of
//!   a type whose rdata is just one name (NS, CNAME, PTR, DNAME, …). [`IndexEntry`]
//!   rebuilds the record key.
//! * `log`: `origin id (u32 BE) | seq (u64 BE) | record key`, value empty. A seq numbers
//!   one update of an origin (one flushed window of the local origin), shared by all the
//!   records it changed.
//! * `meta`: small named values (schema version, local origin, origin table, version
//!   vector, counters).

use hearsay_record::rdata::layout::{Field, indexes_names, layout, names_in, wire_name_len};
use hearsay_record::{KeyParts, Name, OriginId, RrType};

/// IPv4 address index.
pub const TAG_V4: u8 = b'4';
/// IPv6 address index.
pub const TAG_V6: u8 = b'6';
/// Target name index.
pub const TAG_NAME: u8 = b'N';
/// Raw rdata hash index.
pub const TAG_RAW: u8 = b'R';

/// Hash of raw rdata for [`TAG_RAW`] entries.
pub fn raw_hash(rdata: &[u8]) -> [u8; 8] {
    xxhash_rust::xxh3::xxh3_64(rdata).to_be_bytes()
}

/// Types whose exact-rdata lookups the hash index serves: all but addresses and types
/// with indexed target names (a raw lookup of those goes through the name index).
pub fn needs_raw_index(rrtype: RrType) -> bool {
    !matches!(rrtype, RrType::A | RrType::AAAA) && !indexes_names(rrtype)
}

/// Is this type's rdata exactly one name (so the name index spells it out)?
fn rdata_is_one_name(rrtype: RrType) -> bool {
    layout(rrtype) == Some(&[Field::Name])
}

/// The `rdata` index keys of a record.
pub fn index_keys(record_key: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(2);
    for_each_index_key(record_key, |parts| out.push(parts.concat()));
    out
}

/// Hands each `rdata` index key of a record to `sink`, as the parts that make it up
/// one after the other (`tag | indexed bytes | record key head | rest of the rdata`),
/// so that a caller that copies them somewhere allocates nothing per key (names in
/// rdata still allocate their reversed form).
pub fn for_each_index_key(record_key: &[u8], mut sink: impl FnMut(&[&[u8]])) {
    let Ok(parts) = KeyParts::split(record_key) else {
        return;
    };
    let head = &record_key[..record_key.len() - parts.rdata.len()];
    match parts.rrtype {
        RrType::A if parts.rdata.len() == 4 => sink(&[&[TAG_V4], parts.rdata, head]),
        RrType::AAAA if parts.rdata.len() == 16 => sink(&[&[TAG_V6], parts.rdata, head]),
        _ => {}
    }
    if indexes_names(parts.rrtype)
        && let Ok(names) = names_in(parts.rrtype, parts.rdata)
    {
        let rest: &[u8] = if rdata_is_one_name(parts.rrtype) {
            &[]
        } else {
            parts.rdata
        };
        // A name twice in one rdata is indexed once: its keys would be equal, everything
        // else in them being the record's.
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for name in names {
            let reversed = name.reversed();
            if seen.contains(&reversed) {
                continue;
            }
            sink(&[&[TAG_NAME], &reversed, head, rest]);
            seen.push(reversed);
        }
    }
    if needs_raw_index(parts.rrtype) {
        sink(&[&[TAG_RAW], &raw_hash(parts.rdata), head, parts.rdata]);
    }
}

/// An index key taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The tag.
    pub tag: u8,
    /// The indexed bytes (address, reversed name with terminator, or hash).
    pub indexed: Vec<u8>,
    /// The record key.
    pub record_key: Vec<u8>,
}

impl IndexEntry {
    /// Decodes an index key; `None` if it is malformed.
    pub fn decode(index_key: &[u8]) -> Option<IndexEntry> {
        let (&tag, rest) = index_key.split_first()?;
        let indexed_len = match tag {
            TAG_V4 => 4,
            TAG_V6 => 16,
            TAG_RAW => 8,
            TAG_NAME => wire_name_len(rest).ok()?,
            _ => return None,
        };
        let indexed = rest.get(..indexed_len)?;
        let tail = rest.get(indexed_len..)?;
        let parts = KeyParts::split(tail).ok()?;
        let implied: Vec<u8> = match (tag, parts.rrtype) {
            (TAG_V4, RrType::A) | (TAG_V6, RrType::AAAA) => indexed.to_vec(),
            (TAG_NAME, t) if rdata_is_one_name(t) => {
                Name::from_reversed(indexed).ok()?.0.as_wire().to_vec()
            }
            _ => Vec::new(),
        };
        let mut record_key = tail.to_vec();
        record_key.extend_from_slice(&implied);
        Some(IndexEntry {
            tag,
            indexed: indexed.to_vec(),
            record_key,
        })
    }
}

/// The start of an origin's log from `seq` on: `origin | seq`.
pub fn log_prefix(origin: OriginId, seq: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&origin.0.to_be_bytes());
    k[4..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// `log` key: `origin | seq | record key` (value empty). The records of one update
/// share their seq and follow each other in key order, so the log compresses like the
/// records keyspace.
pub fn log_key(origin: OriginId, seq: u64, record_key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(12 + record_key.len());
    k.extend_from_slice(&log_prefix(origin, seq));
    k.extend_from_slice(record_key);
    k
}

/// Decodes a `log` key.
pub fn parse_log_key(k: &[u8]) -> Option<(OriginId, u64, &[u8])> {
    let origin = u32::from_be_bytes(k.get(..4)?.try_into().ok()?);
    let seq = u64::from_be_bytes(k.get(4..12)?.try_into().ok()?);
    Some((OriginId(origin), seq, k.get(12..)?))
}

/// `meta` keys.
pub mod meta {
    /// Schema version (u32 BE).
    pub const SCHEMA: &[u8] = b"schema";
    /// The local origin's id (u32 BE).
    pub const LOCAL_ORIGIN: &[u8] = b"local_origin";
    /// Prefix of the origin table: `origin/<id u32 BE>` → name.
    pub const ORIGIN_PREFIX: &[u8] = b"origin/";
    /// Prefix of the version vector: `vv/<id u32 BE>` → highest contiguous seq (u64 BE).
    pub const VV_PREFIX: &[u8] = b"vv/";
    /// Prefix of per-type record counters: `count/<type u16 BE>` → u64 BE.
    pub const COUNT_PREFIX: &[u8] = b"count/";
    /// Prefix of other components' named state: `state/<name>` → bytes.
    pub const STATE_PREFIX: &[u8] = b"state/";
    /// Set while a bulk write is between its first table and its last batch.
    pub const BULK_PENDING: &[u8] = b"bulk-pending";

    /// The counter key of a record type.
    pub fn count_key(rrtype: u16) -> Vec<u8> {
        let mut k = COUNT_PREFIX.to_vec();
        k.extend_from_slice(&rrtype.to_be_bytes());
        k
    }

    /// `prefix | id`.
    pub fn with_id(prefix: &[u8], id: u32) -> Vec<u8> {
        let mut k = prefix.to_vec();
        k.extend_from_slice(&id.to_be_bytes());
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::{Bailiwick, Name, RecordKey};

    fn key(name: &str, t: RrType, rdata: Vec<u8>) -> Vec<u8> {
        RecordKey::new(
            Name::from_presentation(name).unwrap(),
            t,
            Bailiwick::Unknown,
            rdata,
        )
        .unwrap()
        .encode()
    }

    #[test]
    fn index_entries_per_type() {
        let decoded = |ik: &[u8]| IndexEntry::decode(ik).unwrap();
        let a = key("www.example.com", RrType::A, vec![192, 0, 2, 1]);
        let ia = index_keys(&a);
        assert_eq!(ia.len(), 1);
        assert_eq!(&ia[0][..5], &[TAG_V4, 192, 0, 2, 1]);
        assert_eq!(ia[0].len(), 5 + a.len() - 4, "the address is not repeated");
        assert_eq!(decoded(&ia[0]).record_key, a);

        let target = Name::from_presentation("ns1.example.net").unwrap();
        let ns = key("example.com", RrType::NS, target.as_wire().to_vec());
        let ins = index_keys(&ns);
        assert_eq!(ins.len(), 1);
        let e = decoded(&ins[0]);
        assert_eq!(e.indexed, target.reversed());
        assert_eq!(e.record_key, ns);

        let mut mx_rdata = vec![0, 10];
        mx_rdata.extend_from_slice(target.as_wire());
        let mx = key("example.com", RrType::MX, mx_rdata);
        let imx = index_keys(&mx);
        assert_eq!(imx.len(), 1, "raw lookups of MX go through the name index");
        assert_eq!(decoded(&imx[0]).record_key, mx);

        let txt = key("example.com", RrType::TXT, b"\x05hello".to_vec());
        let itxt = index_keys(&txt);
        assert_eq!(itxt.len(), 1);
        assert_eq!(itxt[0][0], TAG_RAW);
        assert_eq!(decoded(&itxt[0]).record_key, txt);
        assert!(IndexEntry::decode(b"").is_none());
        assert!(IndexEntry::decode(b"X123").is_none());
        assert!(IndexEntry::decode(b"4\x01\x02").is_none());
    }

    #[test]
    fn log_keys_round_trip_and_sort() {
        let k = log_key(OriginId(7), 300, b"rk");
        assert_eq!(parse_log_key(&k), Some((OriginId(7), 300, &b"rk"[..])));
        assert!(log_key(OriginId(7), 299, b"z") < log_key(OriginId(7), 300, b"a"));
        assert!(log_key(OriginId(7), u64::MAX, b"z") < log_key(OriginId(8), 0, b""));
        assert!(log_prefix(OriginId(7), 300) <= *k.first_chunk::<12>().unwrap());
    }
}
