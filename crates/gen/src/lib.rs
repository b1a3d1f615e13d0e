//! # hearsay-gen — synthetic DNS traffic as real packets
//!
//! Everything that feeds hearsay's capture → parse → store path in tests, benchmarks and the
//! demo comes from here, as the bytes a sensor would see on the wire:
//!
//! - [`pcap`] and [`pcapng`]: capture file writers (and a small pcap reader for tests).
//! - [`frame`]: Ethernet/VLAN/SLL + IPv4/IPv6 + UDP/TCP frames with correct lengths and
//!   checksums, IP fragmentation, whole DNS-over-TCP connections.
//! - [`dns`]: query, response and record builders over hickory-proto; ID and 0x20 patches.
//! - [`exchange`]: "client C asks server S at time t" → the query frame and the response frame.
//! - [`synth`]: the seeded, deterministic benchmark workload (millions of packets, Zipf-popular
//!   names, a realistic record mix).
//! - [`paper`]: the examples of Weimer's "Passive DNS Replication" (FIRST 2005), reconstructed,
//!   as timed exchanges that can be split among the sensors of a demo federation.
//!
//! The `hearsay-gen` binary writes `synth` and `paper` traffic to pcap files.
//!
//! ## Example
//!
//! A query and its answer, written as a two-packet pcap file:
//!
//! ```
//! use hearsay_gen::exchange::Exchange;
//! use hearsay_gen::frame::Link;
//! use hearsay_gen::pcap::{PcapReader, PcapWriter};
//! use hearsay_gen::{Timestamp, dns};
//! use hickory_proto::rr::RecordType;
//!
//! let query = dns::query(0x1234, "www.example.com", RecordType::A)?;
//! let response = dns::Response::new(0x1234, "www.example.com", RecordType::A)?
//!     .authoritative(true)
//!     .answer(dns::a("www.example.com", "192.0.2.1", 300)?)
//!     .to_bytes()?;
//! let exchange = Exchange::udp(
//!     Timestamp::new(1_100_000_000, 0),
//!     "192.0.2.10:40000".parse()?,
//!     "198.51.100.53:53".parse()?,
//!     query,
//!     response,
//! );
//!
//! let link = Link::ethernet();
//! let mut writer = PcapWriter::new(Vec::new(), link.linktype())?;
//! for packet in exchange.packets(&link)? {
//!     writer.write_packet(&packet)?;
//! }
//! let file = writer.finish()?;
//! assert_eq!(PcapReader::new(&file[..])?.count(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dns;
mod error;
pub mod exchange;
pub mod frame;
pub mod paper;
pub mod pcap;
pub mod pcapng;
pub mod synth;
mod time;

pub use error::{Error, Result};
pub use time::{Packet, Timestamp};
