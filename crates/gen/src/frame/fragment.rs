//! IP fragmentation: split a transport datagram into IPv4 fragments or IPv6 packets with a
//! Fragment extension header.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::ip::{Frag, NEXT_HEADER_FRAGMENT, PROTO_UDP, push_ipv4_header, push_ipv6_header};
use super::link::Link;
use super::udp::udp_datagram;
use crate::error::{Error, Result};

/// Splits `transport` (a whole UDP or TCP datagram, header included) into IPv4 fragments
/// of at most `mtu` bytes each (IP header included), in order. Every fragment but the last
/// carries a multiple of 8 bytes. A datagram that fits yields one unfragmented packet
/// (offset 0, MF clear).
pub fn ipv4_fragments(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    ip_id: u16,
    transport: &[u8],
    mtu: usize,
) -> Result<Vec<Vec<u8>>> {
    if mtu < 28 {
        return Err(Error::Invalid(format!("IPv4 MTU {mtu} below 28")));
    }
    let max_total = usize::from(u16::MAX) - 20;
    if transport.len() > max_total {
        return Err(Error::TooLarge {
            what: "IPv4 datagram",
            len: transport.len(),
            limit: max_total,
        });
    }
    let per = (mtu - 20) / 8 * 8;
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let rest = transport.len() - offset;
        let (len, more) = if rest + 20 <= mtu {
            (rest, false)
        } else {
            (per, true)
        };
        let mut p = Vec::with_capacity(20 + len);
        let frag = Frag {
            // offset <= 65515, so offset / 8 fits 13 bits.
            offset_units: (offset / 8) as u16,
            more,
            dont: false,
        };
        push_ipv4_header(&mut p, src, dst, proto, ip_id, len, frag)?;
        p.extend_from_slice(&transport[offset..offset + len]);
        out.push(p);
        offset += len;
        if !more {
            return Ok(out);
        }
    }
}

/// Splits `transport` into IPv6 packets of at most `mtu` bytes, each with a Fragment
/// extension header (identification `ident`, next header `next_header`). Unlike IPv4, even a
/// datagram that fits is sent with a Fragment header (an "atomic fragment", RFC 6946), so the
/// result always exercises the extension-header path.
pub fn ipv6_fragments(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    ident: u32,
    transport: &[u8],
    mtu: usize,
) -> Result<Vec<Vec<u8>>> {
    if mtu < 56 {
        return Err(Error::Invalid(format!("IPv6 MTU {mtu} below 56")));
    }
    let max_total = usize::from(u16::MAX) - 8;
    if transport.len() > max_total {
        return Err(Error::TooLarge {
            what: "IPv6 datagram",
            len: transport.len(),
            limit: max_total,
        });
    }
    let per = (mtu - 48) / 8 * 8;
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let rest = transport.len() - offset;
        let (len, more) = if rest + 48 <= mtu {
            (rest, false)
        } else {
            (per, true)
        };
        let mut p = Vec::with_capacity(48 + len);
        push_ipv6_header(&mut p, src, dst, NEXT_HEADER_FRAGMENT, 8 + len)?;
        // offset <= 65527: offset / 8 fits 13 bits, shifted left by 3 it fits 16.
        let off_field = ((offset / 8) as u16) << 3 | u16::from(more);
        p.extend_from_slice(&[next_header, 0]);
        p.extend_from_slice(&off_field.to_be_bytes());
        p.extend_from_slice(&ident.to_be_bytes());
        p.extend_from_slice(&transport[offset..offset + len]);
        out.push(p);
        offset += len;
        if !more {
            return Ok(out);
        }
    }
}

/// Frames of a UDP datagram fragmented to `mtu` (IP layer and up), for either family.
/// `id` is the fragment identification (its low 16 bits for IPv4).
pub fn udp_fragment_frames(
    link: &Link,
    src: SocketAddr,
    dst: SocketAddr,
    id: u32,
    payload: &[u8],
    mtu: usize,
) -> Result<Vec<Vec<u8>>> {
    let datagram = udp_datagram(src, dst, payload)?;
    let packets = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // Truncation to the 16-bit IPv4 identification is intended.
            ipv4_fragments(s, d, PROTO_UDP, id as u16, &datagram, mtu)?
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6_fragments(s, d, PROTO_UDP, id, &datagram, mtu)?,
        _ => return Err(Error::MixedFamilies),
    };
    packets.iter().map(|p| link.wrap(p)).collect()
}
