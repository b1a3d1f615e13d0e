//! IPv4 and IPv6 headers, including the IPv6 extension header chain.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bytes::{array, be16, be32, u8_at};

pub(crate) const PROTO_IPV4: u8 = 4;
pub(crate) const PROTO_TCP: u8 = 6;
pub(crate) const PROTO_UDP: u8 = 17;
pub(crate) const PROTO_IPV6: u8 = 41;

const EXT_HOP_BY_HOP: u8 = 0;
const EXT_ROUTING: u8 = 43;
const EXT_FRAGMENT: u8 = 44;
const EXT_ESP: u8 = 50;
const EXT_AH: u8 = 51;
const EXT_NO_NEXT: u8 = 59;
const EXT_DEST_OPTS: u8 = 60;
const EXT_HIP: u8 = 139;
const EXT_SHIM6: u8 = 140;
const EXT_EXPERIMENT1: u8 = 253;
const EXT_EXPERIMENT2: u8 = 254;

/// At most this many IPv6 extension headers are walked in one packet.
const MAX_EXT_HEADERS: usize = 16;

/// Where a fragment belongs in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Byte offset of this fragment's data in the reassembled payload.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// A parsed IP header with its payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol; for a fragment, the protocol (or next header) of the fragmented part.
    pub proto: u8,
    /// Upper-layer payload, or the fragment's data.
    pub payload: &'a [u8],
    pub frag: Option<Fragment>,
}

/// Why an IP packet was not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpError {
    /// Fewer bytes than a fixed header.
    Short,
    /// The length field points past the captured bytes.
    Truncated,
    /// Wrong version or inconsistent header.
    Malformed,
    /// Bad or truncated IPv6 extension header chain.
    Ext,
    /// The chain ends in ESP or "no next header": nothing to decode.
    NoPayload,
}

/// Parses an IPv4 header.
pub(crate) fn ipv4(data: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let b0 = u8_at(data, 0).ok_or(IpError::Short)?;
    if b0 >> 4 != 4 {
        return Err(IpError::Malformed);
    }
    let ihl = usize::from(b0 & 0x0f) * 4;
    if ihl < 20 {
        return Err(IpError::Malformed);
    }
    if data.len() < 20 || data.len() < ihl {
        return Err(IpError::Short);
    }
    let mut total = usize::from(be16(data, 2).ok_or(IpError::Short)?);
    if total == 0 {
        // Segmentation offload on the capturing host leaves the length unset.
        total = data.len();
    }
    if total < ihl {
        return Err(IpError::Malformed);
    }
    let packet = data.get(..total).ok_or(IpError::Truncated)?;
    let flags = be16(data, 6).ok_or(IpError::Short)?;
    let proto = u8_at(data, 9).ok_or(IpError::Short)?;
    let src = Ipv4Addr::from(array::<4>(data, 12).ok_or(IpError::Short)?);
    let dst = Ipv4Addr::from(array::<4>(data, 16).ok_or(IpError::Short)?);
    let more = flags & 0x2000 != 0;
    let offset = u32::from(flags & 0x1fff) * 8;
    let frag = if more || offset != 0 {
        Some(Fragment {
            id: u32::from(be16(data, 4).ok_or(IpError::Short)?),
            offset,
            more,
        })
    } else {
        None
    };
    Ok(IpPacket {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto,
        payload: packet.get(ihl..).ok_or(IpError::Malformed)?,
        frag,
    })
}

/// Parses an IPv6 header and walks its extension headers up to the upper layer or a
/// (non-atomic) fragment header.
pub(crate) fn ipv6(data: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let b0 = u8_at(data, 0).ok_or(IpError::Short)?;
    if b0 >> 4 != 6 {
        return Err(IpError::Malformed);
    }
    if data.len() < 40 {
        return Err(IpError::Short);
    }
    let plen = usize::from(be16(data, 4).ok_or(IpError::Short)?);
    let next = u8_at(data, 6).ok_or(IpError::Short)?;
    let src = Ipv6Addr::from(array::<16>(data, 8).ok_or(IpError::Short)?);
    let dst = Ipv6Addr::from(array::<16>(data, 24).ok_or(IpError::Short)?);
    let payload = if plen == 0 {
        // Jumbogram or segmentation offload: take what was captured.
        data.get(40..).ok_or(IpError::Short)?
    } else {
        data.get(40..40 + plen).ok_or(IpError::Truncated)?
    };
    let (proto, payload, frag) = ipv6_chain(next, payload, true)?;
    Ok(IpPacket {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto,
        payload,
        frag,
    })
}

/// Walks an IPv6 extension header chain starting with header type `next` at the start of
/// `data`. Stops at the upper-layer protocol, or right after a non-atomic fragment header
/// (returning the fragment's next header and data). Atomic fragments (offset 0, no more
/// fragments) are skipped over. A second fragment header, or any when `allow_frag` is
/// false (inside a reassembled datagram), is an error.
pub(crate) fn ipv6_chain(
    mut next: u8,
    data: &[u8],
    allow_frag: bool,
) -> Result<(u8, &[u8], Option<Fragment>), IpError> {
    let mut at = 0usize;
    let mut seen_frag = false;
    for _ in 0..MAX_EXT_HEADERS {
        let len = match next {
            EXT_HOP_BY_HOP | EXT_ROUTING | EXT_DEST_OPTS | EXT_HIP | EXT_SHIM6
            | EXT_EXPERIMENT1 | EXT_EXPERIMENT2 => {
                (usize::from(u8_at(data, at + 1).ok_or(IpError::Ext)?) + 1) * 8
            }
            EXT_AH => (usize::from(u8_at(data, at + 1).ok_or(IpError::Ext)?) + 2) * 4,
            EXT_FRAGMENT => {
                if !allow_frag || seen_frag {
                    return Err(IpError::Ext);
                }
                seen_frag = true;
                let nh = u8_at(data, at).ok_or(IpError::Ext)?;
                let off = be16(data, at + 2).ok_or(IpError::Ext)?;
                let id = be32(data, at + 4).ok_or(IpError::Ext)?;
                let rest = data.get(at + 8..).ok_or(IpError::Ext)?;
                let frag = Fragment {
                    id,
                    offset: u32::from(off & 0xfff8),
                    more: off & 1 != 0,
                };
                if frag.offset != 0 || frag.more {
                    return Ok((nh, rest, Some(frag)));
                }
                // Atomic fragment (RFC 6946): just a header to skip.
                next = nh;
                at += 8;
                continue;
            }
            EXT_ESP | EXT_NO_NEXT => return Err(IpError::NoPayload),
            proto => {
                return Ok((proto, data.get(at..).ok_or(IpError::Ext)?, None));
            }
        };
        next = u8_at(data, at).ok_or(IpError::Ext)?;
        at = at.checked_add(len).ok_or(IpError::Ext)?;
        if at > data.len() {
            return Err(IpError::Ext);
        }
    }
    Err(IpError::Ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(proto: u8, flags: u16, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0x12, 0x34, 0, 0, 64, proto, 0, 0];
        h.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 2]);
        let total = (20 + payload.len()) as u16;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[6..8].copy_from_slice(&flags.to_be_bytes());
        h.extend_from_slice(payload);
        h
    }

    fn v6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(&[next, 64]);
        h.extend_from_slice(&[0x20, 1, 0x0d, 0xb8]);
        h.extend_from_slice(&[0; 12]);
        h.extend_from_slice(&[0x20, 1, 0x0d, 0xb8]);
        h.extend_from_slice(&[0; 11]);
        h.push(0x53);
        h.extend_from_slice(payload);
        h
    }

    #[test]
    fn ipv4_basic_padding_and_errors() {
        let mut p = v4(17, 0, &[1, 2, 3]);
        p.extend_from_slice(&[0xee; 6]); // Ethernet padding
        let ip = ipv4(&p).unwrap();
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.payload, &[1, 2, 3]);
        assert_eq!(ip.frag, None);
        assert_eq!(ip.src, "192.0.2.1".parse::<IpAddr>().unwrap());

        let p = v4(17, 0x2000 | 3, &[0; 8]);
        assert_eq!(
            ipv4(&p).unwrap().frag,
            Some(Fragment {
                id: 0x1234,
                offset: 24,
                more: true
            })
        );
        let p = v4(17, 0, &[0; 8]);
        assert_eq!(ipv4(&p[..27]).unwrap_err(), IpError::Truncated);
        assert_eq!(ipv4(&p[..19]).unwrap_err(), IpError::Short);
        let mut bad = p.clone();
        bad[0] = 0x44;
        assert_eq!(ipv4(&bad).unwrap_err(), IpError::Malformed);
        let mut bad = p.clone();
        bad[0] = 0x65;
        assert_eq!(ipv4(&bad).unwrap_err(), IpError::Malformed);
        let mut bad = p;
        bad[2..4].copy_from_slice(&10u16.to_be_bytes());
        assert_eq!(ipv4(&bad).unwrap_err(), IpError::Malformed);
    }

    #[test]
    fn ipv4_options() {
        let mut p = v4(17, 0, &[9, 9]);
        p[0] = 0x46;
        p.splice(20..20, [1, 1, 1, 0]);
        let total = p.len() as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        assert_eq!(ipv4(&p).unwrap().payload, &[9, 9]);
    }

    #[test]
    fn ipv6_extension_chain() {
        // hop-by-hop (8) -> routing (16) -> dest opts (8) -> AH (12) -> UDP
        let mut chain = vec![43, 0, 0, 0, 0, 0, 0, 0];
        chain.extend_from_slice(&[60, 1]);
        chain.extend_from_slice(&[0; 14]);
        chain.extend_from_slice(&[51, 0, 0, 0, 0, 0, 0, 0]);
        chain.extend_from_slice(&[17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        chain.extend_from_slice(&[0xab; 8]);
        let p = v6(0, &chain);
        let ip = ipv6(&p).unwrap();
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.payload, &[0xab; 8]);

        // Fragment header.
        let mut frag = vec![17, 0, 0x00, 0x11, 0, 0, 0, 7];
        frag.extend_from_slice(&[1; 8]);
        let p = v6(44, &frag);
        let ip = ipv6(&p).unwrap();
        assert_eq!(
            ip.frag,
            Some(Fragment {
                id: 7,
                offset: 16,
                more: true
            })
        );
        assert_eq!((ip.proto, ip.payload.len()), (17, 8));

        // Atomic fragment is transparent.
        let mut atomic = vec![17, 0, 0, 0, 0, 0, 0, 7];
        atomic.extend_from_slice(&[1; 8]);
        let p = v6(44, &atomic);
        let ip = ipv6(&p).unwrap();
        assert_eq!((ip.proto, ip.frag), (17, None));

        assert_eq!(ipv6(&v6(50, &[0; 16])).unwrap_err(), IpError::NoPayload);
        assert_eq!(ipv6(&v6(59, &[])).unwrap_err(), IpError::NoPayload);
        // Header running past the payload.
        assert_eq!(ipv6(&v6(0, &[17, 4, 0, 0])).unwrap_err(), IpError::Ext);
        // Endless chain of hop-by-hop headers.
        let many: Vec<u8> = (0..40).flat_map(|_| [0u8, 0, 0, 0, 0, 0, 0, 0]).collect();
        assert_eq!(ipv6(&v6(0, &many)).unwrap_err(), IpError::Ext);
        // Truncated by length field.
        let p = v6(17, &[0; 8]);
        assert_eq!(ipv6(&p[..45]).unwrap_err(), IpError::Truncated);
        assert_eq!(ipv6(&p[..30]).unwrap_err(), IpError::Short);
        // No second fragment header inside a reassembled datagram.
        assert_eq!(
            ipv6_chain(44, &[17, 0, 0, 8, 0, 0, 0, 1], false).unwrap_err(),
            IpError::Ext
        );
    }
}
