//! Classic libpcap capture files: a writer and a small reader.
//!
//! The writer produces the original format (magic `0xa1b2c3d4`, microsecond timestamps,
//! version 2.4) in little-endian byte order, as tcpdump does on x86. The reader accepts both
//! byte orders and the nanosecond variant (`0xa1b23c4d`); it exists so tests can check what
//! was written without external tools.
//!
//! ```
//! use hearsay_gen::pcap::{LinkType, PcapReader, PcapWriter};
//!
//! let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET)?;
//! w.write_frame(1_100_000_000, 42, &[0u8; 60])?;
//! let bytes = w.finish()?;
//!
//! let mut r = PcapReader::new(&bytes[..])?;
//! assert_eq!(r.header().linktype, LinkType::ETHERNET);
//! let rec = r.next_record()?.expect("one record");
//! assert_eq!((rec.ts_secs, rec.ts_frac, rec.data.len()), (1_100_000_000, 42, 60));
//! assert!(r.next_record()?.is_none());
//! # Ok::<(), std::io::Error>(())
//! ```

mod reader;
mod writer;

pub use reader::{PcapHeader, PcapReader, PcapRecord};
pub use writer::PcapWriter;

/// A link-layer header type (the `LINKTYPE_*` registry shared by pcap and pcapng).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// `LINKTYPE_ETHERNET` (1): IEEE 802.3 Ethernet, optionally with 802.1Q tags.
    pub const ETHERNET: Self = Self(1);
    /// `LINKTYPE_RAW` (101): a raw IPv4 or IPv6 packet, no link header.
    pub const RAW: Self = Self(101);
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture (`tcpdump -i any`).
    pub const LINUX_SLL: Self = Self(113);
    /// `LINKTYPE_IPV4` (228): raw IPv4 only.
    pub const IPV4: Self = Self(228);
    /// `LINKTYPE_IPV6` (229): raw IPv6 only.
    pub const IPV6: Self = Self(229);
}

/// The snapshot length written by default (tcpdump's default).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Magic number of microsecond-resolution pcap files.
pub const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Magic number of nanosecond-resolution pcap files.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
