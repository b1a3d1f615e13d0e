//! A small classic pcap reader (for tests and tools; the product's capture crate has its own).

use std::io::{self, Read};

use super::{LinkType, MAGIC_MICROS, MAGIC_NANOS};

/// The fields of a pcap file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcapHeader {
    /// Major version (2).
    pub version_major: u16,
    /// Minor version (4).
    pub version_minor: u16,
    /// Snapshot length.
    pub snaplen: u32,
    /// Link-layer header type.
    pub linktype: LinkType,
    /// Whether timestamps are in nanoseconds rather than microseconds.
    pub nanos: bool,
    /// Whether the file is big-endian.
    pub big_endian: bool,
}

/// One record of a pcap file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapRecord {
    /// Seconds since the epoch.
    pub ts_secs: u32,
    /// Fraction of the second, in micro- or nanoseconds as the header says.
    pub ts_frac: u32,
    /// Length of the frame on the wire (may exceed `data.len()`).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Vec<u8>,
}

/// Reads a classic pcap file record by record.
#[derive(Debug)]
pub struct PcapReader<R: Read> {
    input: R,
    header: PcapHeader,
}

impl<R: Read> PcapReader<R> {
    /// Reads and checks the file header.
    pub fn new(mut input: R) -> io::Result<Self> {
        let mut h = [0u8; 24];
        input.read_exact(&mut h)?;
        let magic_le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let magic_be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let (big_endian, nanos) = match (magic_le, magic_be) {
            (MAGIC_MICROS, _) => (false, false),
            (MAGIC_NANOS, _) => (false, true),
            (_, MAGIC_MICROS) => (true, false),
            (_, MAGIC_NANOS) => (true, true),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a pcap file (bad magic)",
                ));
            }
        };
        let u16_at = |i: usize| {
            let b = [h[i], h[i + 1]];
            if big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_at = |i: usize| read_u32(&h[i..i + 4], big_endian);
        let header = PcapHeader {
            version_major: u16_at(4),
            version_minor: u16_at(6),
            snaplen: u32_at(16),
            linktype: LinkType(u32_at(20)),
            nanos,
            big_endian,
        };
        Ok(Self { input, header })
    }

    /// The file header.
    pub fn header(&self) -> &PcapHeader {
        &self.header
    }

    /// The next record, or `None` at a clean end of file.
    pub fn next_record(&mut self) -> io::Result<Option<PcapRecord>> {
        let mut h = [0u8; 16];
        let mut got = 0;
        while got < h.len() {
            let n = self.input.read(&mut h[got..])?;
            if n == 0 {
                if got == 0 {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated record header",
                ));
            }
            got += n;
        }
        let be = self.header.big_endian;
        let caplen = read_u32(&h[8..12], be);
        let mut data = vec![0u8; caplen as usize];
        self.input.read_exact(&mut data)?;
        Ok(Some(PcapRecord {
            ts_secs: read_u32(&h[0..4], be),
            ts_frac: read_u32(&h[4..8], be),
            orig_len: read_u32(&h[12..16], be),
            data,
        }))
    }
}

impl<R: Read> Iterator for PcapReader<R> {
    type Item = io::Result<PcapRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

fn read_u32(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}
