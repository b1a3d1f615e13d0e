//! Building link + IP + transport frames around DNS payloads.
//!
//! - [`Link`]: Ethernet (with any number of 802.1Q tags), Linux cooked capture, or raw IP.
//! - [`ip_packet`]: IPv4 (header checksum) or IPv6 around a transport payload.
//! - [`udp_frame`] / [`udp_frame_into`]: a whole frame with a correct UDP checksum.
//! - [`ipv4_fragments`] / [`ipv6_fragments`] / [`udp_fragment_frames`]: IP fragmentation.
//! - [`TcpSegment`] and [`tcp_dns_packets`]: DNS over TCP, from the handshake to the FIN,
//!   with options to split the length prefix, coalesce messages, reorder and duplicate.
//!
//! Addresses are `std::net` types; the address family of source and destination must agree.
//!
//! ```
//! use hearsay_gen::frame::{udp_frame, Link};
//!
//! let frame = udp_frame(
//!     &Link::ethernet().with_vlan(42),
//!     "192.0.2.10:40000".parse()?,
//!     "198.51.100.53:53".parse()?,
//!     7,
//!     b"payload",
//! )?;
//! assert_eq!(frame.len(), 14 + 4 + 20 + 8 + 7);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checksum;
mod fragment;
mod ip;
mod link;
mod tcp;
mod tcp_dns;
mod udp;

pub use checksum::internet_checksum;
pub use fragment::{ipv4_fragments, ipv6_fragments, udp_fragment_frames};
pub use ip::{NEXT_HEADER_FRAGMENT, PROTO_TCP, PROTO_UDP, ip_packet};
pub use link::{CLIENT_MAC, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, Link, SERVER_MAC};
pub use tcp::{TcpSegment, tcp_flags};
pub use tcp_dns::{TcpDnsOptions, tcp_dns_packets};
pub use udp::{udp_datagram, udp_frame, udp_frame_into, udp_packet};
