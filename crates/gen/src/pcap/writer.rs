//! The classic pcap writer.

use std::io::{self, Write};

use super::{DEFAULT_SNAPLEN, LinkType, MAGIC_MICROS};
use crate::time::Packet;

/// Writes a classic pcap file (microsecond timestamps, little-endian, version 2.4).
///
/// Frames longer than the snapshot length are cut to it and recorded with their original
/// length, as a capture with `-s` would. Wrap the output in a `BufWriter` for speed.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    snaplen: u32,
    linktype: LinkType,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header with the default snapshot length.
    pub fn new(out: W, linktype: LinkType) -> io::Result<Self> {
        Self::with_snaplen(out, linktype, DEFAULT_SNAPLEN)
    }

    /// Writes the file header with the given snapshot length.
    pub fn with_snaplen(mut out: W, linktype: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&MAGIC_MICROS.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone (8..12) and sigfigs (12..16) stay zero.
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.0.to_le_bytes());
        out.write_all(&h)?;
        Ok(Self {
            out,
            snaplen,
            linktype,
        })
    }

    /// The link type in the file header.
    pub fn linktype(&self) -> LinkType {
        self.linktype
    }

    /// The snapshot length in the file header.
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// Writes one frame; it is cut to the snapshot length if longer.
    pub fn write_frame(&mut self, ts_secs: u32, ts_micros: u32, frame: &[u8]) -> io::Result<()> {
        let orig_len = len_u32(frame.len())?;
        self.write_frame_truncated(ts_secs, ts_micros, frame, orig_len)
    }

    /// Writes a frame of which only `captured` was kept, from a frame of `orig_len` bytes on
    /// the wire (a record with caplen < len). `captured` is further cut to the snapshot length.
    pub fn write_frame_truncated(
        &mut self,
        ts_secs: u32,
        ts_micros: u32,
        captured: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        if ts_micros >= 1_000_000 {
            return Err(invalid("microseconds must be below 1 000 000"));
        }
        let caplen = len_u32(captured.len())?.min(self.snaplen);
        if orig_len < caplen {
            return Err(invalid("original length shorter than the captured bytes"));
        }
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&ts_secs.to_le_bytes());
        h[4..8].copy_from_slice(&ts_micros.to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(&captured[..caplen as usize])
    }

    /// Writes a [`Packet`]; fails if its seconds do not fit the format's 32 bits.
    pub fn write_packet(&mut self, packet: &Packet) -> io::Result<()> {
        let secs = u32::try_from(packet.ts.secs)
            .map_err(|_| invalid("timestamp beyond 2106 does not fit classic pcap"))?;
        self.write_frame(secs, packet.ts.micros, &packet.frame)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn len_u32(len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| invalid("frame longer than 4 GiB"))
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
