//! Result objects of the DNSDB API version 2 (the `obj` of its Streaming API Framing
//! lines) and of CIRCL's passive DNS service, made from query rows and summaries.
//!
//! DNSDB: `rrname` with its trailing dot, `rrtype` as a mnemonic (`TYPEnnn` when
//! unknown), `rdata` always an array, `bailiwick` on rrset lookups when known, integer
//! `count`, and `time_first`/`time_last` in epoch seconds or, with `humantime`, RFC 3339
//! strings. CIRCL: the Common Output Format with `rdata` a string, `rrtype` a number when
//! the common client libraries would not know its mnemonic, and `sensor_id`.

use hearsay_record::RrType;
use hearsay_record::rdata::present;
use serde::Serialize;

use crate::engine::{Row, Summary};
use crate::time::format_rfc3339;

/// A time as DNSDB prints it: epoch seconds, or RFC 3339 with `humantime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DnsdbTime {
    /// Seconds since the epoch.
    Epoch(u64),
    /// `2004-11-02T08:00:00Z`.
    Human(String),
}

impl DnsdbTime {
    /// A time in the chosen style.
    pub fn new(secs: u64, humantime: bool) -> Self {
        if humantime {
            DnsdbTime::Human(format_rfc3339(secs))
        } else {
            DnsdbTime::Epoch(secs)
        }
    }
}

/// One DNSDB result object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsdbObject {
    /// Times seen.
    pub count: u64,
    /// First seen.
    pub time_first: DnsdbTime,
    /// Last seen.
    pub time_last: DnsdbTime,
    /// Owner name with the trailing dot.
    pub rrname: String,
    /// Type mnemonic or `TYPEnnn`.
    pub rrtype: String,
    /// Zone it was served from (rrset lookups, when known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bailiwick: Option<String>,
    /// Presentation forms of the rdata (one per record here).
    pub rdata: Vec<String>,
}

/// The DNSDB object of a row; `rrset` adds the bailiwick (DNSDB shows it on rrset
/// lookups only).
pub fn dnsdb_object(row: &Row, rrset: bool, humantime: bool) -> DnsdbObject {
    DnsdbObject {
        count: row.count,
        time_first: DnsdbTime::new(row.time_first, humantime),
        time_last: DnsdbTime::new(row.time_last, humantime),
        rrname: row.key.rrname.to_string(),
        rrtype: row.key.rrtype.to_string(),
        bailiwick: if rrset {
            row.key.bailiwick.zone().map(ToString::to_string)
        } else {
            None
        },
        rdata: vec![present(row.key.rrtype, &row.key.rdata)],
    }
}

/// DNSDB's summarize object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsdbSummary {
    /// Sum of the counts.
    pub count: u64,
    /// Records that a lookup would return.
    pub num_results: u64,
    /// Earliest first seen (absent without results).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_first: Option<DnsdbTime>,
    /// Latest last seen (absent without results).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_last: Option<DnsdbTime>,
}

/// The DNSDB summarize object of a summary.
pub fn dnsdb_summary(s: &Summary, humantime: bool) -> DnsdbSummary {
    DnsdbSummary {
        count: s.count,
        num_results: s.num_results,
        time_first: s.time_first.map(|t| DnsdbTime::new(t, humantime)),
        time_last: s.time_last.map(|t| DnsdbTime::new(t, humantime)),
    }
}

/// An rrtype in CIRCL's output: the mnemonic, or the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CirclType {
    /// A mnemonic clients know (`A`, `NS`, `HTTPS`, …).
    Mnemonic(&'static str),
    /// The type number.
    Number(u16),
}

/// Registered mnemonics that dnspython (what pypdns validates types with) does not
/// know, or spells differently: sent as numbers, as unknown types are.
const NUMERIC_FOR_CLIENTS: &[u16] = &[23, 31, 32, 34, 40, 57, 58, 100, 101, 102, 259];

impl CirclType {
    /// How a type is written in CIRCL's output.
    pub fn new(t: RrType) -> Self {
        match t.mnemonic() {
            Some(m) if !NUMERIC_FOR_CLIENTS.contains(&t.0) => CirclType::Mnemonic(m),
            _ => CirclType::Number(t.0),
        }
    }
}

/// One record in CIRCL's Common Output Format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CirclRecord<'a> {
    /// Owner name with the trailing dot.
    pub rrname: String,
    /// Type.
    pub rrtype: CirclType,
    /// Presentation form of the rdata.
    pub rdata: String,
    /// First seen, epoch seconds.
    pub time_first: u64,
    /// Last seen, epoch seconds.
    pub time_last: u64,
    /// Times seen.
    pub count: u64,
    /// Zone it was served from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bailiwick: Option<String>,
    /// The origins that saw it, comma-separated.
    pub sensor_id: &'a str,
}

/// The CIRCL record of a row (`sensor_id`: the joined origins, see
/// [`crate::sensor_id`]).
pub fn circl_record<'a>(row: &Row, sensor_id: &'a str) -> CirclRecord<'a> {
    CirclRecord {
        rrname: row.key.rrname.to_string(),
        rrtype: CirclType::new(row.key.rrtype),
        rdata: present(row.key.rrtype, &row.key.rdata),
        time_first: row.time_first,
        time_last: row.time_last,
        count: row.count,
        bailiwick: row.key.bailiwick.zone().map(ToString::to_string),
        sensor_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::{Bailiwick, Name, RecordKey};

    fn row(t: RrType, bailiwick: Option<&str>, rdata: Vec<u8>) -> Row {
        let name = Name::from_presentation("www.example.com").unwrap();
        let bw = bailiwick.map_or(Bailiwick::Unknown, |z| {
            Bailiwick::Zone(Name::from_presentation(z).unwrap())
        });
        Row {
            key: RecordKey::new(name, t, bw, rdata).unwrap(),
            time_first: 1_099_382_400,
            time_last: 1_099_468_800,
            count: 7,
            origins: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn dnsdb_objects() {
        let r = row(RrType::A, Some("example.com"), vec![192, 0, 2, 1]);
        let v = serde_json::to_value(dnsdb_object(&r, true, false)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"count": 7, "time_first": 1_099_382_400u64,
                "time_last": 1_099_468_800u64, "rrname": "www.example.com.", "rrtype": "A",
                "bailiwick": "example.com.", "rdata": ["192.0.2.1"]})
        );
        let v = serde_json::to_value(dnsdb_object(&r, false, true)).unwrap();
        assert!(v.get("bailiwick").is_none());
        assert_eq!(v["time_first"], "2004-11-02T08:00:00Z");
        let unknown = row(RrType(65280), None, vec![1, 2]);
        let v = serde_json::to_value(dnsdb_object(&unknown, true, false)).unwrap();
        assert_eq!(v["rrtype"], "TYPE65280");
        assert!(v.get("bailiwick").is_none());
        assert_eq!(v["rdata"], serde_json::json!(["\\# 2 0102"]));

        let s = Summary {
            num_results: 3,
            count: 9,
            time_first: Some(0),
            time_last: Some(60),
            limited: false,
        };
        assert_eq!(
            serde_json::to_value(dnsdb_summary(&s, true)).unwrap(),
            serde_json::json!({"count": 9, "num_results": 3,
                "time_first": "1970-01-01T00:00:00Z", "time_last": "1970-01-01T00:01:00Z"})
        );
        assert_eq!(
            serde_json::to_value(dnsdb_summary(&Summary::default(), false)).unwrap(),
            serde_json::json!({"count": 0, "num_results": 0})
        );
    }

    #[test]
    fn circl_records() {
        let r = row(RrType::A, None, vec![192, 0, 2, 1]);
        let v = serde_json::to_value(circl_record(&r, "a,b")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"rrname": "www.example.com.", "rrtype": "A",
                "rdata": "192.0.2.1", "time_first": 1_099_382_400u64,
                "time_last": 1_099_468_800u64, "count": 7, "sensor_id": "a,b"})
        );
        assert_eq!(CirclType::new(RrType(65280)), CirclType::Number(65280));
        assert_eq!(CirclType::new(RrType(23)), CirclType::Number(23));
        assert_eq!(CirclType::new(RrType::HTTPS), CirclType::Mnemonic("HTTPS"));
    }
}
