//! # hearsay-query
//!
//! Lookup semantics and output formats, shared by the `hearsay` command line and the
//! node's HTTP API so that both answer the same question the same way.
//!
//! * **rrset** lookups by owner name: exact, `*.example.com` (the subdomains),
//!   `www.example.*` (names starting with these labels), or a name and its subdomains;
//!   filtered by type (also DNSDB's `ANY` / `ANY-DNSSEC`) and bailiwick;
//! * **rdata** lookups: by address (exact, CIDR or range, IPv4 and IPv6), by target name
//!   (exact or `*.`, matching NS, CNAME, MX, PTR, SRV, SOA, … rdata), by raw bytes;
//! * time fences on first and last seen, offset and limit, and summaries; long scans
//!   can be cancelled from outside ([`run_with`], [`summarize_with`]);
//! * output as a table, COF JSON lines or CSV, and the result objects of the DNSDB API
//!   v2 ([`dnsdb_object`], [`dnsdb_summary`]) and of CIRCL's service ([`circl_record`]).
//!
//! ```
//! use hearsay_query::{Lookup, NamePattern, Query, TypeFilter, run, Flow};
//! use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
//!
//! let dir = tempfile::tempdir()?;
//! let store = hearsay_store::Store::open(dir.path(), Default::default())?;
//! let key = RecordKey::new(Name::from_presentation("www.example.com")?, RrType::A,
//!                          Bailiwick::Unknown, vec![192, 0, 2, 1])?;
//! store.apply_local(vec![(key.encode(), Sighting { time_first: 1, time_last: 9, count: 2 })])?;
//!
//! let query = Query::new(Lookup::Rrset {
//!     owner: NamePattern::parse("*.example.com", false)?,
//!     rrtype: TypeFilter::All,
//!     bailiwick: None,
//! });
//! let mut rows = Vec::new();
//! run(&store.view(), &query, &mut |row| { rows.push(row); Flow::Continue })?;
//! assert_eq!(rows[0].count, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dnsdb;
mod engine;
mod format;
mod lookup;
pub mod time;

pub use dnsdb::{
    CirclRecord, CirclType, DnsdbObject, DnsdbSummary, DnsdbTime, circl_record, dnsdb_object,
    dnsdb_summary,
};
pub use engine::{
    Flow, Query, Row, RunOutcome, Summary, SummaryOutcome, origin_names, run, run_with, summarize,
    summarize_with,
};
pub use format::{Cof, Format, RowWriter, cof, sensor_id, write_summary};
pub use lookup::{Fences, IpMatch, Lookup, NamePattern, TypeFilter, parse_hex};

/// Errors of parsing or running a query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    #[error("invalid name {0:?}: {1}")]
    BadName(String, String),
    #[error("unknown record type {0:?}")]
    BadType(String),
    #[error("invalid address, network or range {0:?}")]
    BadAddress(String),
    #[error("invalid hex {0:?}")]
    BadHex(String),
    #[error(
        "invalid time {0:?} (use epoch seconds, RFC 3339 like 2005-03-30T12:00:00Z, or relative like -7d)"
    )]
    BadTime(String),
    #[error("unknown output format {0:?} (table, json, csv)")]
    BadFormat(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] hearsay_store::StoreError),
}

#[cfg(test)]
mod tests;
