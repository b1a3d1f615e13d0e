//! A minimal pcapng writer: one Section Header Block, Interface Description Blocks and
//! Enhanced Packet Blocks, little-endian, microsecond timestamps (the default `if_tsresol`).
//!
//! Enough for a capture reader to prove it imports pcapng; no name resolution, statistics
//! or comments.
//!
//! ```
//! use hearsay_gen::{pcap::LinkType, pcapng::PcapngWriter, Timestamp};
//!
//! let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET)?;
//! w.write_frame(Timestamp::new(1_100_000_000, 5), &[0u8; 42])?;
//! let bytes = w.finish()?;
//! assert_eq!(&bytes[0..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use crate::pcap::{DEFAULT_SNAPLEN, LinkType};
use crate::time::{Packet, Timestamp};

/// Block type of the Section Header Block.
pub const BLOCK_SHB: u32 = 0x0A0D_0D0A;
/// Block type of the Interface Description Block.
pub const BLOCK_IDB: u32 = 0x0000_0001;
/// Block type of the Enhanced Packet Block.
pub const BLOCK_EPB: u32 = 0x0000_0006;
/// The byte-order magic inside the Section Header Block.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Writes a pcapng file with one section.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    snaplens: Vec<u32>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and one interface (id 0) of the given link type.
    pub fn new(out: W, linktype: LinkType) -> io::Result<Self> {
        let mut w = Self {
            out,
            snaplens: Vec::new(),
        };
        w.write_shb()?;
        w.add_interface(linktype, DEFAULT_SNAPLEN)?;
        Ok(w)
    }

    /// Describes one more interface; returns its id for [`Self::write_frame_on`].
    pub fn add_interface(&mut self, linktype: LinkType, snaplen: u32) -> io::Result<u32> {
        let link =
            u16::try_from(linktype.0).map_err(|_| invalid("pcapng link types are 16 bits"))?;
        let mut body = Vec::with_capacity(8);
        body.extend_from_slice(&link.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        self.write_block(BLOCK_IDB, &body)?;
        self.snaplens.push(snaplen);
        u32::try_from(self.snaplens.len() - 1).map_err(|_| invalid("too many interfaces"))
    }

    /// Writes a frame seen on interface 0.
    pub fn write_frame(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        self.write_frame_on(0, ts, frame)
    }

    /// Writes a [`Packet`] seen on interface 0.
    pub fn write_packet(&mut self, packet: &Packet) -> io::Result<()> {
        self.write_frame_on(0, packet.ts, &packet.frame)
    }

    /// Writes a frame seen on interface `if_id`, cut to that interface's snapshot length.
    pub fn write_frame_on(&mut self, if_id: u32, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        let orig_len = u32::try_from(frame.len()).map_err(|_| invalid("frame too long"))?;
        self.write_frame_truncated_on(if_id, ts, frame, orig_len)
    }

    /// Writes the first bytes of a frame of `orig_len` bytes (captured length < length).
    pub fn write_frame_truncated_on(
        &mut self,
        if_id: u32,
        ts: Timestamp,
        captured: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let snaplen = *self
            .snaplens
            .get(if_id as usize)
            .ok_or_else(|| invalid("no such interface"))?;
        let caplen = u32::try_from(captured.len())
            .map_err(|_| invalid("frame too long"))?
            .min(snaplen);
        if orig_len < caplen {
            return Err(invalid("original length shorter than the captured bytes"));
        }
        let micros = ts.as_micros();
        let data = &captured[..caplen as usize];
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        body.extend_from_slice(&if_id.to_le_bytes());
        body.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(micros as u32).to_le_bytes());
        body.extend_from_slice(&caplen.to_le_bytes());
        body.extend_from_slice(&orig_len.to_le_bytes());
        body.extend_from_slice(data);
        self.write_block(BLOCK_EPB, &body)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_shb(&mut self) -> io::Result<()> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        // Section length unknown.
        body.extend_from_slice(&(-1i64).to_le_bytes());
        self.write_block(BLOCK_SHB, &body)
    }

    /// Type, total length, body padded to 32 bits, total length again.
    fn write_block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let total = u32::try_from(12 + body.len() + pad).map_err(|_| invalid("block too long"))?;
        self.out.write_all(&block_type.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&total.to_le_bytes())
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
