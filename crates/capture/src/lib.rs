//! # hearsay-capture
//!
//! Packet sources to DNS message payloads, the first stage of hearsay's pipeline
//! (see `DESIGN.md`). Plain threads, no async.
//!
//! * [`FileSource`] reads pcap and pcapng files and [`LiveSource`] captures on an
//!   interface, both through libpcap; [`decode_file`] runs a whole file through a decoder.
//! * [`Decoder`] turns each frame into zero or more [`DnsPayload`]s: link layers
//!   (Ethernet with 802.1Q/802.1ad tags, MPLS, PPPoE; Linux SLL and SLL2; raw IP; BSD
//!   loopback; NFLOG), IPv4 and IPv6 with extension headers, IP-in-IP tunnels up to a
//!   bounded depth, IPv4/IPv6 fragment reassembly and DNS-over-TCP stream reassembly.
//!   Payloads on the UDP fast path are slices of the frame: no allocation per packet.
//! * Robustness: no input makes it panic; whatever is skipped is counted by reason in
//!   [`DecodeStats`]; all reassembly state is bounded by [`DecoderConfig`] and expires.
//! * Privacy: a payload carries the server's address and a keyed [`flow`](DnsPayload::flow)
//!   hash, never the client's address.
//!
//! ```
//! use hearsay_capture::{linktype, Decoder, DecoderConfig, Timestamp};
//!
//! // A raw IPv4 frame: 192.0.2.53:53 -> 192.0.2.1:40000, carrying a 12-byte DNS header.
//! let mut frame = vec![
//!     0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 53, 192, 0, 2, 1, // IPv4
//!     0, 53, 0x9c, 0x40, 0, 20, 0, 0, // UDP
//! ];
//! frame.extend_from_slice(&[0xab, 0xcd, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]); // DNS
//!
//! let mut decoder = Decoder::new(DecoderConfig::default());
//! let mut found = Vec::new();
//! decoder.decode(linktype::RAW, Timestamp::new(1, 0), &frame, 40, &mut |p| {
//!     found.push((p.server, p.from_server, p.data.to_vec()));
//! });
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].0, "192.0.2.53:53".parse().unwrap());
//! assert!(found[0].1);
//! assert_eq!(&found[0].2[..2], &[0xab, 0xcd]);
//! assert_eq!(decoder.stats().dns_payloads, 1);
//! ```

mod bytes;
mod config;
mod decoder;
mod error;
mod expiry;
mod file;
mod flow;
mod frag;
mod ip;
mod link;
mod live;
mod stats;
mod tcp;
mod types;

pub use config::DecoderConfig;
pub use decoder::Decoder;
pub use error::CaptureError;
pub use file::{FileSource, FileSummary, Frame, decode_file};
pub use link::linktype;
pub use live::{LiveConfig, LiveSource, LiveStats, default_bpf_filter};
pub use stats::{BufferUsage, DecodeStats};
pub use types::{DnsPayload, Timestamp, Transport};
