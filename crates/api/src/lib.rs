//! # hearsay-api
//!
//! The node's HTTP query API, compatible with the clients analysts already have:
//!
//! * **DNSDB API version 2** under `/dnsdb/v2/` (Farsight's `dnsdb2` Python client,
//!   `dnsdbq`, …): `lookup` and `summarize` of `rrset/name`, `rrset/raw`, `rdata/name`,
//!   `rdata/ip` and `rdata/raw`, with wildcards, time fences, limits and offsets,
//!   answered in the Streaming API Framing; `rate_limit` and `ping` (see
//!   [below](#dnsdb-api-v2)).
//! * **CIRCL passive DNS** at `/pdns/query/<name or address>` (`pypdns`): Common Output
//!   Format lines, paginated with the `dribble-*` headers.
//!
//! Queries run on tokio's blocking pool, never on the async workers, and stream their
//! results through a bounded channel: memory stays bounded whatever the result size,
//! and a client that disconnects stops its query within a chunk. Each API key has its
//! own concurrency limit, result limit and optional per-minute quota.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use hearsay_api::{ApiConfig, ApiKeyConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = Arc::new(hearsay_store::Store::open(dir.path(), Default::default())?);
//! let config = ApiConfig {
//!     listen: "127.0.0.1:0".parse()?,
//!     api_keys: vec![ApiKeyConfig::new("0123456789abcdef0123")],
//!     ..Default::default()
//! };
//! let runtime = tokio::runtime::Runtime::new()?;
//! let server = runtime.block_on(hearsay_api::bind(store, config))?;
//! let addr = server.local_addr();
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let running = runtime.spawn(server.run(async { stopped.await.ok(); }));
//!
//! let mut tcp = std::net::TcpStream::connect(addr)?;
//! tcp.write_all(b"GET /dnsdb/v2/lookup/rrset/name/www.example.com/A HTTP/1.1\r\n\
//!                 Host: x\r\nX-API-Key: 0123456789abcdef0123\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! tcp.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200"));
//! assert!(response.contains("{\"cond\":\"begin\"}"));
//! assert!(response.contains("{\"cond\":\"succeeded\"}"));
//!
//! stop.send(()).ok();
//! runtime.block_on(running)??;
//! # Ok(())
//! # }
//! ```
//!
//! ## DNSDB API v2
//!
//! ```text
//! GET /dnsdb/v2/{lookup,summarize}/rrset/name/OWNER[/RRTYPE[/BAILIWICK]]
//! GET /dnsdb/v2/{lookup,summarize}/rrset/raw/HEX[/RRTYPE]
//! GET /dnsdb/v2/{lookup,summarize}/rdata/name/NAME[/RRTYPE]
//! GET /dnsdb/v2/{lookup,summarize}/rdata/ip/ADDR[,PFXLEN] | ADDR-ADDR
//! GET /dnsdb/v2/{lookup,summarize}/rdata/raw/HEX[/RRTYPE]
//! GET /dnsdb/v2/rate_limit
//! GET /dnsdb/v2/ping
//! ```
//!
//! Status codes: 400 malformed request (a JSON body `{"error": …, "status": 400}`
//! says what), 403 missing or unknown `X-API-Key`, 404 unknown endpoint, 416 offset
//! above the maximum, 429 per-minute quota exhausted, 503 too many queries running.
//! Each stored record is one result object (`rdata` an array of one), so `aggr` changes
//! nothing; right-hand wildcards work for owner names only; flexible search (`regex`,
//! `glob`) is not offered.
//!
//! ## CIRCL passive DNS
//!
//! `GET /pdns/query/<q>` with HTTP Basic authentication (the password is an API key;
//! the user name must be the key's name when it has one) or `X-API-Key`. `q` is an
//! address or network (the records pointing there) or a name (its records, then the
//! records whose rdata names it). Headers `dribble-filter-rrtype`,
//! `dribble-paginate-count` and `dribble-paginate-cursor`; the response's
//! `x-dribble-cursor` is absent on the last page. 401 without valid credentials, 429
//! when the key's limits are hit.

mod auth;
mod circl;
mod config;
mod dnsdb;
mod error;
mod limits;
mod params;
mod router;
mod saf;
mod server;
mod stream;

pub use config::{ApiConfig, ApiKeyConfig, ConfigError, TlsConfig};
pub use error::ApiError;
pub use limits::ApiStats;
pub use server::{Server, StatsHandle, bind, serve};
