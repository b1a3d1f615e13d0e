//! A strict, allocation-free walker over DNS message bytes.
//!
//! Names are decompressed into a fixed buffer with every RFC 1035 limit checked, and
//! compression pointers must point strictly backwards, each before the previous jump, so
//! no pointer loop can exist and every name is decoded in bounded time.

use hearsay_record::{MAX_LABEL_LEN, MAX_NAME_LEN};

use crate::Reject;

/// A decompressed, lowercased name with its label boundaries.
#[derive(Clone)]
pub(crate) struct NameBuf {
    /// Canonical wire form, including the root label.
    wire: [u8; MAX_NAME_LEN],
    len: usize,
    /// Offsets of the labels' length bytes, leaf first.
    starts: [u8; 128],
    labels: usize,
}

impl std::fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NameBuf").field(&self.wire()).finish()
    }
}

impl PartialEq for NameBuf {
    fn eq(&self, other: &Self) -> bool {
        self.wire() == other.wire()
    }
}

impl NameBuf {
    pub(crate) fn new() -> Self {
        NameBuf {
            wire: [0; MAX_NAME_LEN],
            len: 0,
            starts: [0; 128],
            labels: 0,
        }
    }

    /// Canonical wire form.
    pub(crate) fn wire(&self) -> &[u8] {
        &self.wire[..self.len]
    }

    /// A canonical name's bytes (as `hearsay_record::Name::as_wire` gives them).
    pub(crate) fn from_canonical(wire: &[u8]) -> Option<Self> {
        let mut buf = NameBuf::new();
        read_name(wire, 0, &mut buf).ok()?;
        Some(buf)
    }

    pub(crate) fn label_count(&self) -> usize {
        self.labels
    }

    /// `true` if `self` is `zone` or lies below it.
    pub(crate) fn is_within(&self, zone: &NameBuf) -> bool {
        if zone.labels > self.labels {
            return false;
        }
        let skip = self.labels - zone.labels;
        let start = if skip == self.labels {
            self.len - 1
        } else {
            self.starts[skip] as usize
        };
        &self.wire()[start..] == zone.wire()
    }

    /// Appends the reversed-label key encoding (see `hearsay_record::Name::reversed`).
    pub(crate) fn write_reversed(&self, out: &mut Vec<u8>) {
        for &start in self.starts[..self.labels].iter().rev() {
            let start = start as usize;
            let len = self.wire[start] as usize;
            out.extend_from_slice(&self.wire[start..start + 1 + len]);
        }
        out.push(0);
    }

    fn push_label(&mut self, label: &[u8]) -> Result<(), Reject> {
        if self.len + 1 + label.len() + 1 > MAX_NAME_LEN {
            return Err(Reject::NameTooLong);
        }
        self.starts[self.labels] = self.len as u8;
        self.labels += 1;
        self.wire[self.len] = label.len() as u8;
        for (dst, src) in self.wire[self.len + 1..self.len + 1 + label.len()]
            .iter_mut()
            .zip(label)
        {
            *dst = src.to_ascii_lowercase();
        }
        self.len += 1 + label.len();
        Ok(())
    }

    fn finish(&mut self) {
        self.wire[self.len] = 0;
        self.len += 1;
    }
}

/// Reads a possibly compressed name at `pos` of `msg` into `out`; returns the position
/// after the name's bytes at `pos` (after the first pointer, if any).
pub(crate) fn read_name(msg: &[u8], mut pos: usize, out: &mut NameBuf) -> Result<usize, Reject> {
    out.len = 0;
    out.labels = 0;
    let mut end: Option<usize> = None;
    // Every pointer must go strictly before this bound, which then drops to its target.
    let mut bound = pos;
    loop {
        let len = *msg.get(pos).ok_or(Reject::NameTruncated)?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    out.finish();
                    return Ok(end.unwrap_or(pos + 1));
                }
                let label = msg
                    .get(pos + 1..pos + 1 + len as usize)
                    .ok_or(Reject::NameTruncated)?;
                debug_assert!(label.len() <= MAX_LABEL_LEN);
                out.push_label(label)?;
                pos += 1 + len as usize;
            }
            0xC0 => {
                let low = *msg.get(pos + 1).ok_or(Reject::NameTruncated)?;
                let target = (usize::from(len & 0x3F) << 8) | usize::from(low);
                if target >= msg.len() {
                    return Err(Reject::PointerOutOfRange);
                }
                if target >= bound {
                    return Err(Reject::PointerLoop);
                }
                end.get_or_insert(pos + 2);
                bound = target;
                pos = target;
            }
            _ => return Err(Reject::BadLabelType),
        }
    }
}

/// The fixed header, via hickory-proto.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // id and AA are for query matching and bailiwick tracking
pub(crate) struct Header {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

pub(crate) const HEADER_LEN: usize = 12;

pub(crate) fn read_header(msg: &[u8]) -> Result<Header, Reject> {
    use hickory_proto::op::{Header as HHeader, MessageType};
    use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
    if msg.len() < HEADER_LEN {
        return Err(Reject::ShortHeader);
    }
    let header = HHeader::read(&mut BinDecoder::new(msg)).map_err(|_| Reject::ShortHeader)?;
    let meta = header.metadata;
    Ok(Header {
        id: meta.id,
        response: meta.message_type == MessageType::Response,
        opcode: u8::from(meta.op_code),
        authoritative: meta.authoritative,
        truncated: meta.truncation,
        rcode: msg[3] & 0x0F,
        qdcount: header.counts.queries,
        ancount: header.counts.answers,
        nscount: header.counts.authorities,
        arcount: header.counts.additionals,
    })
}

/// One resource record's fixed fields and where its rdata lies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RrHead {
    pub rrtype: u16,
    pub class: u16,
    pub rdata_start: usize,
    pub rdata_len: usize,
}

/// Reads a resource record at `pos` (owner into `owner`); returns it and the position
/// after its rdata.
pub(crate) fn read_rr(
    msg: &[u8],
    pos: usize,
    owner: &mut NameBuf,
) -> Result<(RrHead, usize), Reject> {
    let pos = read_name(msg, pos, owner)?;
    let fixed = msg.get(pos..pos + 10).ok_or(Reject::RecordTruncated)?;
    let rrtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let class = u16::from_be_bytes([fixed[2], fixed[3]]);
    let rdata_len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    let rdata_start = pos + 10;
    let end = rdata_start + rdata_len;
    if end > msg.len() {
        return Err(Reject::RecordTruncated);
    }
    Ok((
        RrHead {
            rrtype,
            class,
            rdata_start,
            rdata_len,
        },
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_at(msg: &[u8], pos: usize) -> Result<(Vec<u8>, usize), Reject> {
        let mut buf = NameBuf::new();
        let next = read_name(msg, pos, &mut buf)?;
        Ok((buf.wire().to_vec(), next))
    }

    #[test]
    fn plain_and_compressed_names() {
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(b"\x03WWW\x07Example\x03com\x00"); // at 12
        msg.extend_from_slice(b"\x04mail\xC0\x10"); // mail + pointer to "example.com" at 16
        let (wire, next) = name_at(&msg, 12).unwrap();
        assert_eq!(wire, b"\x03www\x07example\x03com\x00");
        assert_eq!(next, 29);
        let (wire, next) = name_at(&msg, 29).unwrap();
        assert_eq!(wire, b"\x04mail\x07example\x03com\x00");
        assert_eq!(next, msg.len());
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(b"\xC0\x0C"); // points at itself
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::PointerLoop);
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(b"\x01a\xC0\x0C"); // label then pointer back to its own start
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::PointerLoop);
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(b"\xC0\x0E\x00"); // forward pointer
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::PointerLoop);
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(b"\xC0\xFF");
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::PointerOutOfRange);
    }

    #[test]
    fn limits() {
        let mut msg = vec![0u8; 12];
        msg.push(64);
        msg.extend_from_slice(&[b'a'; 64]);
        msg.push(0);
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::BadLabelType);
        let mut msg = vec![0u8; 12];
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'a'; 63]);
        }
        msg.push(0);
        assert_eq!(name_at(&msg, 12).unwrap_err(), Reject::NameTooLong);
        assert_eq!(name_at(b"\x03ab", 0).unwrap_err(), Reject::NameTruncated);
    }

    #[test]
    fn ancestry_and_reversal() {
        let msg = b"\x03www\x07example\x03com\x00\x03com\x00\x00";
        let mut www = NameBuf::new();
        read_name(msg, 0, &mut www).unwrap();
        let mut com = NameBuf::new();
        read_name(msg, 17, &mut com).unwrap();
        let mut root = NameBuf::new();
        read_name(msg, 22, &mut root).unwrap();
        assert!(www.is_within(&com));
        assert!(www.is_within(&root));
        assert!(www.is_within(&www));
        assert!(!com.is_within(&www));
        let mut rev = Vec::new();
        www.write_reversed(&mut rev);
        assert_eq!(rev, b"\x03com\x07example\x03www\x00");
        rev.clear();
        root.write_reversed(&mut rev);
        assert_eq!(rev, b"\x00");
    }
}
