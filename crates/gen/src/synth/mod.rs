//! The benchmark workload: a seeded, deterministic stream of DNS exchanges between stub
//! clients and a few recursive resolvers, as frames.
//!
//! - Names come from a population of [`SynthConfig::names`] (name, type) pairs whose
//!   popularity is Zipf-distributed, so records repeat as they do on a real network.
//! - The population's [`RecordMix`]: A and AAAA (1–4 addresses; some names rotate through
//!   answer sets over time), CNAME chains of 1–3 links into CDN names, MX with glue, NS with
//!   glue, TXT (SPF, DMARC, verification tokens), PTR (in-addr.arpa and ip6.arpa), SRV, HTTPS
//!   (alpn h2,h3 with address hints), CAA, NODATA with SOA; on top of it
//!   [`SynthConfig::nxdomain_share`] of the exchanges are NXDOMAIN with the zone's SOA.
//! - Transport: UDP over IPv4 and IPv6 ([`SynthConfig::ipv6_share`]); clients from pools in the
//!   documentation prefixes, resolvers `192.0.2.53`… and `2001:db8::53`… With
//!   [`SynthConfig::transport`] every response can instead be IP-fragmented, or every
//!   exchange run over its own TCP connection ([`Transport`]): same exchanges, same
//!   messages, more frames — to measure what reassembly costs.
//! - Time: queries spread evenly (with jitter) over [`SynthConfig::duration_secs`], each
//!   answered 0.15–150 ms later; frames come out in time order, queries and responses
//!   interleaved. Over UDP exactly `packets` frames: half queries, half responses (for an even
//!   count).
//! - Speed: each distinct response is built once with hickory and cached; repeats only patch
//!   the message ID (and the 0x20 case of the name) and rebuild the headers.
//!
//! ```
//! use hearsay_gen::synth::{write_pcap, SynthConfig};
//!
//! let cfg = SynthConfig { packets: 1000, names: 500, ..SynthConfig::default() };
//! let stats = write_pcap(&cfg, Vec::new())?;
//! assert_eq!((stats.queries, stats.responses), (500, 500));
//! # Ok::<(), hearsay_gen::Error>(())
//! ```

mod config;
mod generator;
mod output;
mod population;
mod responses;
mod scheduled;
mod tcp_session;
mod transport;
mod words;
mod zipf;

pub use config::{RecordMix, SynthConfig};
pub use generator::{Synth, SynthStats};
pub use output::{write_pcap, write_pcapng};
pub use transport::{FRAGMENT_PAYLOAD, Transport};
pub use zipf::Zipf;
