//! TCP segments.

use std::net::SocketAddr;

use super::checksum;
use super::ip::{PROTO_TCP, push_ip_header};
use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, Link};
use crate::error::{Error, Result};

/// TCP header flag bits.
pub mod tcp_flags {
    /// No more data from the sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push.
    pub const PSH: u8 = 0x08;
    /// The acknowledgment field is significant.
    pub const ACK: u8 = 0x10;
}

/// The MSS announced in SYN segments.
const MSS: u16 = 1460;

/// One TCP segment. SYN segments carry an MSS option; others have no options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpSegment {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: u32,
    /// Acknowledgment number (meaningful with [`tcp_flags::ACK`]).
    pub ack: u32,
    /// Flag bits, see [`tcp_flags`].
    pub flags: u8,
    /// Receive window.
    pub window: u16,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

impl TcpSegment {
    /// Appends the TCP header and payload with a correct checksum.
    fn push(&self, out: &mut Vec<u8>) {
        let syn = self.flags & tcp_flags::SYN != 0;
        let header_len: usize = if syn { 24 } else { 20 };
        let start = out.len();
        out.extend_from_slice(&self.src.port().to_be_bytes());
        out.extend_from_slice(&self.dst.port().to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        // header_len is 20 or 24: (header_len / 4) << 4 fits a byte.
        out.push(((header_len / 4) << 4) as u8);
        out.push(self.flags);
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        if syn {
            out.extend_from_slice(&[2, 4]);
            out.extend_from_slice(&MSS.to_be_bytes());
        }
        out.extend_from_slice(&self.payload);
        let len = out.len() - start;
        let acc = checksum::pseudo_header(self.src.ip(), self.dst.ip(), PROTO_TCP, len);
        let sum = checksum::finish(checksum::add(&out[start..], acc));
        out[start + 16..start + 18].copy_from_slice(&sum.to_be_bytes());
    }

    fn transport_len(&self) -> usize {
        let header = if self.flags & tcp_flags::SYN != 0 {
            24
        } else {
            20
        };
        header + self.payload.len()
    }

    /// The TCP header and payload, as carried by IP.
    pub fn transport_bytes(&self) -> Result<Vec<u8>> {
        if self.src.is_ipv4() != self.dst.is_ipv4() {
            return Err(Error::MixedFamilies);
        }
        let mut out = Vec::with_capacity(self.transport_len());
        self.push(&mut out);
        Ok(out)
    }

    /// The IP packet carrying this segment (`ip_id`: IPv4 identification).
    pub fn ip_packet(&self, ip_id: u16) -> Result<Vec<u8>> {
        self.frame(&Link::Raw, ip_id)
    }

    /// The whole frame carrying this segment.
    pub fn frame(&self, link: &Link, ip_id: u16) -> Result<Vec<u8>> {
        if self.src.is_ipv4() != self.dst.is_ipv4() {
            return Err(Error::MixedFamilies);
        }
        let mut out = Vec::with_capacity(link.header_len() + 40 + self.transport_len());
        let ethertype = if self.src.is_ipv4() {
            ETHERTYPE_IPV4
        } else {
            ETHERTYPE_IPV6
        };
        link.push_header(&mut out, ethertype);
        push_ip_header(
            &mut out,
            self.src.ip(),
            self.dst.ip(),
            PROTO_TCP,
            ip_id,
            self.transport_len(),
        )?;
        self.push(&mut out);
        Ok(out)
    }
}
