//! Byte layouts of the keys in the `rdata`, `log` and `meta` keyspaces.
//!
//! * `rdata`: `tag | indexed bytes | record key`, value empty. Tags: [`TAG_V4`] (4 address
//!   bytes: a CIDR is a prefix), [`TAG_V6`] (16 bytes), [`TAG_NAME`] (a target name in the
//!   reversed encoding without its terminator... followed by it: a name and everything
//!   below it is a prefix), [`TAG_RAW`] (8-byte hash of the rdata, for raw lookups of
//!   types the other tags do not cover).
//! * `log`: `origin id (u32 BE) | seq (u64 BE)` → record key.
//! * `meta`: small named values (schema version, local origin, origin table, version
//!   vector, counters).

use hearsay_record::rdata::layout::{indexes_names, names_in};
use hearsay_record::{KeyParts, OriginId, RrType};

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

/// Does a raw lookup of this type need the hash index, or do the address and name
/// indexes already answer it exactly?
fn needs_raw_index(rrtype: RrType) -> bool {
    !matches!(rrtype.0, 1 | 28 | 2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39)
}

/// The `rdata` index keys of a record.
pub fn index_keys(record_key: &[u8]) -> Vec<Vec<u8>> {
    let Ok(parts) = KeyParts::split(record_key) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(2);
    let with = |tag: u8, indexed: &[u8]| {
        let mut k = Vec::with_capacity(1 + indexed.len() + record_key.len());
        k.push(tag);
        k.extend_from_slice(indexed);
        k.extend_from_slice(record_key);
        k
    };
    match parts.rrtype {
        RrType::A if parts.rdata.len() == 4 => out.push(with(TAG_V4, parts.rdata)),
        RrType::AAAA if parts.rdata.len() == 16 => out.push(with(TAG_V6, parts.rdata)),
        _ => {}
    }
    if indexes_names(parts.rrtype)
        && let Ok(names) = names_in(parts.rrtype, parts.rdata)
    {
        for name in names {
            let k = with(TAG_NAME, &name.reversed());
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    if needs_raw_index(parts.rrtype) {
        out.push(with(TAG_RAW, &raw_hash(parts.rdata)));
    }
    out
}

/// The record key at the end of an index key, given the indexed part's length.
pub fn record_key_of_index(index_key: &[u8], indexed_len: usize) -> Option<&[u8]> {
    index_key.get(1 + indexed_len..)
}

/// Splits a `TAG_NAME` index key into the reversed target name and the record key.
pub fn split_name_index(index_key: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = index_key.get(1..)?;
    let mut pos = 0usize;
    loop {
        let len = *rest.get(pos)? as usize;
        pos += 1 + len;
        if len == 0 {
            return Some((rest.get(..pos)?, rest.get(pos..)?));
        }
    }
}

/// `log` key.
pub fn log_key(origin: OriginId, seq: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&origin.0.to_be_bytes());
    k[4..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Decodes a `log` key.
pub fn parse_log_key(k: &[u8]) -> Option<(OriginId, u64)> {
    let origin = u32::from_be_bytes(k.get(..4)?.try_into().ok()?);
    let seq = u64::from_be_bytes(k.get(4..12)?.try_into().ok()?);
    Some((OriginId(origin), seq))
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
        let a = key("www.example.com", RrType::A, vec![192, 0, 2, 1]);
        let ia = index_keys(&a);
        assert_eq!(ia.len(), 1);
        assert_eq!(&ia[0][..5], &[TAG_V4, 192, 0, 2, 1]);
        assert_eq!(record_key_of_index(&ia[0], 4), Some(&a[..]));

        let target = Name::from_presentation("ns1.example.net").unwrap();
        let ns = key("example.com", RrType::NS, target.as_wire().to_vec());
        let ins = index_keys(&ns);
        assert_eq!(ins.len(), 1);
        let (rev, rec) = split_name_index(&ins[0]).unwrap();
        assert_eq!(rev, &target.reversed()[..]);
        assert_eq!(rec, &ns[..]);

        let mut mx_rdata = vec![0, 10];
        mx_rdata.extend_from_slice(target.as_wire());
        let mx = key("example.com", RrType::MX, mx_rdata);
        let imx = index_keys(&mx);
        assert_eq!(imx.len(), 2);
        assert_eq!(imx[0][0], TAG_NAME);
        assert_eq!(imx[1][0], TAG_RAW);

        let txt = key("example.com", RrType::TXT, b"\x05hello".to_vec());
        assert_eq!(index_keys(&txt).len(), 1);
    }

    #[test]
    fn log_keys_round_trip_and_sort() {
        let k = log_key(OriginId(7), 300);
        assert_eq!(parse_log_key(&k), Some((OriginId(7), 300)));
        assert!(log_key(OriginId(7), 299) < log_key(OriginId(7), 300));
        assert!(log_key(OriginId(7), u64::MAX) < log_key(OriginId(8), 0));
    }
}
