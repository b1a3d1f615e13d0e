//! # hearsay-ingest
//!
//! The write path of a node, shared by `hearsay import`, the `hearsayd` sensors and the
//! demo: captured frames are decoded into DNS messages ([`hearsay_capture`]), parsed
//! into observations ([`hearsay_parse`]), folded in an in-memory aggregation window
//! ([`hearsay_store::Window`]) and handed every few seconds — or when the window's
//! memory bound is reached — to a dedicated writer thread that applies each window to
//! the store as one atomic batch ([`hearsay_store::Store::apply_local`]). Capture and
//! parsing never wait on disk unless asked to (file import waits rather than lose data;
//! live capture drops and counts).
//!
//! ```no_run
//! use std::sync::Arc;
//! let store = Arc::new(hearsay_store::Store::open("data".as_ref(), Default::default())?);
//! let report = hearsay_ingest::import_files(store, &["dns.pcap".into()], Default::default(), &mut |_| {})?;
//! println!("{} records", report.stats.parse.records);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod import;
mod matcher;
mod pipeline;
mod writer;

pub use import::{FileOutcome, ImportError, ImportReport, Progress, import_files, peak_rss_bytes};
pub use matcher::QueryMatcher;
pub use pipeline::{IngestStats, Pipeline, PipelineConfig, Placement};
pub use writer::{StoreWriter, WindowBatch, WriterStats};
