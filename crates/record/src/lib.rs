//! # hearsay-record
//!
//! The pure data model of hearsay, shared by every stage of the pipeline and free of I/O.
//! A passive DNS record is identified by `(rrname, rrtype, bailiwick, rdata)`
//! ([`RecordKey`]), with names in canonical form ([`Name`]: lowercase, uncompressed wire
//! bytes) and rdata in canonical wire form (rendered for people by [`rdata::present`]).
//! Its value ([`RecordValue`]) holds one [`Entry`] per origin — the node whose sensors
//! saw it — and merging values is a state-based CRDT: commutative, associative and
//! idempotent, so replication may deliver updates in any order, more than once.
//!
//! ```
//! use hearsay_record::{Bailiwick, Entry, Name, OriginId, RecordKey, RecordValue, RrType};
//!
//! let key = RecordKey::new(
//!     Name::from_presentation("WWW.Example.COM")?,
//!     RrType::A,
//!     Bailiwick::Zone(Name::from_presentation("example.com")?),
//!     vec![192, 0, 2, 1],
//! )?;
//! assert_eq!(key.rrname.to_string(), "www.example.com.");
//! assert_eq!(RecordKey::decode(&key.encode())?, key);
//!
//! let mut here = RecordValue::new();
//! here.merge_entry(OriginId(1), &Entry { time_first: 100, time_last: 900, count: 7, seq: 3 });
//! let mut there = RecordValue::new();
//! there.merge_entry(OriginId(1), &Entry { time_first: 50, time_last: 400, count: 2, seq: 1 });
//! there.merge(&here);
//! here.merge(&there);
//! assert_eq!(here, there);
//! assert_eq!(here.summary().unwrap().time_first, 50);
//! # Ok::<(), hearsay_record::Error>(())
//! ```

mod entry;
mod error;
mod key;
mod name;
mod observation;
pub mod prefix;
pub mod rdata;
mod rrtype;
pub mod varint;

pub use entry::{
    Entry, OriginId, RecordValue, Sighting, Summary, decode_entries, decode_entry, encode_entry,
};
pub use error::Error;
pub use key::{Bailiwick, KeyParts, RecordKey};
pub use name::{Labels, MAX_LABEL_LEN, MAX_NAME_LEN, Name, NameBuilder};
pub use observation::Observation;
pub use rrtype::RrType;
