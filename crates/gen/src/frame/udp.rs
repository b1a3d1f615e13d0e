//! UDP datagrams, packets and frames.

use std::net::SocketAddr;

use super::checksum;
use super::ip::{PROTO_UDP, push_ip_header};
use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, Link};
use crate::error::{Error, Result};

/// Largest UDP payload (the length field covers the 8-byte header too).
const MAX_UDP_PAYLOAD: usize = u16::MAX as usize - 8;

/// Appends a UDP header and payload to `out` and fills in the checksum.
fn push_udp(out: &mut Vec<u8>, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Result<()> {
    let len = payload.len() + 8;
    let len16 = u16::try_from(len).map_err(|_| Error::TooLarge {
        what: "UDP payload",
        len: payload.len(),
        limit: MAX_UDP_PAYLOAD,
    })?;
    let start = out.len();
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
    out.extend_from_slice(&len16.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let acc = checksum::pseudo_header(src.ip(), dst.ip(), PROTO_UDP, len);
    let mut sum = checksum::finish(checksum::add(&out[start..], acc));
    if sum == 0 {
        // Zero means "no checksum"; a computed zero is sent as all ones (RFC 768).
        sum = 0xffff;
    }
    out[start + 6..start + 8].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

fn check_families(src: SocketAddr, dst: SocketAddr) -> Result<()> {
    if src.is_ipv4() == dst.is_ipv4() {
        Ok(())
    } else {
        Err(Error::MixedFamilies)
    }
}

/// A UDP datagram (header and payload) with its checksum, as carried by IP.
pub fn udp_datagram(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Result<Vec<u8>> {
    check_families(src, dst)?;
    let mut out = Vec::with_capacity(8 + payload.len());
    push_udp(&mut out, src, dst, payload)?;
    Ok(out)
}

/// An IP packet carrying a UDP datagram. `ip_id` is the IPv4 identification.
pub fn udp_packet(src: SocketAddr, dst: SocketAddr, ip_id: u16, payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(48 + payload.len());
    udp_frame_into(&mut out, &Link::Raw, src, dst, ip_id, payload)?;
    Ok(out)
}

/// A whole frame: link header, IP header, UDP header, payload.
pub fn udp_frame(
    link: &Link,
    src: SocketAddr,
    dst: SocketAddr,
    ip_id: u16,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(link.header_len() + 48 + payload.len());
    udp_frame_into(&mut out, link, src, dst, ip_id, payload)?;
    Ok(out)
}

/// Like [`udp_frame`], but into a cleared, reusable buffer (no allocation once it is large
/// enough). On error `out` holds an unspecified partial frame.
pub fn udp_frame_into(
    out: &mut Vec<u8>,
    link: &Link,
    src: SocketAddr,
    dst: SocketAddr,
    ip_id: u16,
    payload: &[u8],
) -> Result<()> {
    check_families(src, dst)?;
    out.clear();
    let ethertype = if src.is_ipv4() {
        ETHERTYPE_IPV4
    } else {
        ETHERTYPE_IPV6
    };
    link.push_header(out, ethertype);
    push_ip_header(out, src.ip(), dst.ip(), PROTO_UDP, ip_id, 8 + payload.len())?;
    push_udp(out, src, dst, payload)
}
