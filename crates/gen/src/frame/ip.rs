//! IPv4 and IPv6 headers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum;
use crate::error::{Error, Result};

/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// IPv6 next-header value of the Fragment extension header.
pub const NEXT_HEADER_FRAGMENT: u8 = 44;

/// Time to live / hop limit of generated packets.
pub(crate) const TTL: u8 = 64;

/// Fragmentation fields of an IPv4 header.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Frag {
    /// Offset in units of 8 bytes.
    pub offset_units: u16,
    /// More fragments follow.
    pub more: bool,
    /// Don't fragment.
    pub dont: bool,
}

/// Appends a 20-byte IPv4 header (with its checksum) for `payload_len` bytes of payload.
pub(crate) fn push_ipv4_header(
    out: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    id: u16,
    payload_len: usize,
    frag: Frag,
) -> Result<()> {
    let total = 20 + payload_len;
    let total = u16::try_from(total).map_err(|_| Error::TooLarge {
        what: "IPv4 packet",
        len: total,
        limit: usize::from(u16::MAX),
    })?;
    let mut flags_off = frag.offset_units & 0x1fff;
    if frag.more {
        flags_off |= 0x2000;
    }
    if frag.dont {
        flags_off |= 0x4000;
    }
    let start = out.len();
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags_off.to_be_bytes());
    out.extend_from_slice(&[TTL, proto, 0, 0]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    let sum = checksum::internet_checksum(&out[start..start + 20]);
    out[start + 10..start + 12].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// Appends a 40-byte IPv6 header for `payload_len` bytes of payload (extension headers
/// included) whose first header is `next_header`.
pub(crate) fn push_ipv6_header(
    out: &mut Vec<u8>,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    payload_len: usize,
) -> Result<()> {
    let len = u16::try_from(payload_len).map_err(|_| Error::TooLarge {
        what: "IPv6 payload",
        len: payload_len,
        limit: usize::from(u16::MAX),
    })?;
    out.extend_from_slice(&[0x60, 0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[next_header, TTL]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    Ok(())
}

/// Appends the IP header for a transport payload of `payload_len` bytes (no fragmentation;
/// IPv4 packets carry the DF bit, as DNS servers' usually do).
pub(crate) fn push_ip_header(
    out: &mut Vec<u8>,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u16,
    payload_len: usize,
) -> Result<()> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let frag = Frag {
                dont: true,
                ..Frag::default()
            };
            push_ipv4_header(out, s, d, proto, id, payload_len, frag)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => push_ipv6_header(out, s, d, proto, payload_len),
        _ => Err(Error::MixedFamilies),
    }
}

/// An IP packet carrying `payload` of protocol `proto`. `id` is the IPv4 identification
/// (ignored for IPv6).
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, id: u16, payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(40 + payload.len());
    push_ip_header(&mut out, src, dst, proto, id, payload.len())?;
    out.extend_from_slice(payload);
    Ok(out)
}
