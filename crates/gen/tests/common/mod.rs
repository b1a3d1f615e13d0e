//! An independent little decoder for the frames the crate writes, strict about lengths and
//! checksums, so the tests do not trust the code they test.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hearsay_gen::pcap::{LinkType, PcapReader};

/// Ones' complement sum of 16-bit big-endian words.
pub fn ones_sum(data: &[u8], mut acc: u32) -> u32 {
    for pair in data.chunks(2) {
        let w = if pair.len() == 2 {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], 0])
        };
        acc += u32::from(w);
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The IP layer of a frame.
#[derive(Clone, Debug)]
pub struct Ip {
    pub vlans: Vec<u16>,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol (after any fragment header).
    pub proto: u8,
    /// IPv4 identification or IPv6 fragment identification.
    pub ident: u32,
    /// Fragment offset in bytes.
    pub frag_offset: usize,
    pub more_fragments: bool,
    /// A fragment header (v6) or a nonzero offset / MF (v4) is present.
    pub fragmented: bool,
    pub dont_fragment: bool,
    /// The bytes after the IP header(s).
    pub payload: Vec<u8>,
}

/// Splits off the link header; returns VLAN ids, EtherType and the rest.
pub fn link(linktype: LinkType, frame: &[u8]) -> (Vec<u16>, u16, &[u8]) {
    match linktype {
        LinkType::ETHERNET => {
            let mut vlans = Vec::new();
            let mut i = 12;
            let mut et = u16::from_be_bytes([frame[i], frame[i + 1]]);
            while et == 0x8100 {
                vlans.push(u16::from_be_bytes([frame[i + 2], frame[i + 3]]) & 0x0fff);
                i += 4;
                et = u16::from_be_bytes([frame[i], frame[i + 1]]);
            }
            (vlans, et, &frame[i + 2..])
        }
        LinkType::LINUX_SLL => {
            assert_eq!(u16::from_be_bytes([frame[2], frame[3]]), 1, "ARPHRD_ETHER");
            (
                Vec::new(),
                u16::from_be_bytes([frame[14], frame[15]]),
                &frame[16..],
            )
        }
        LinkType::RAW => {
            let et = if frame[0] >> 4 == 4 { 0x0800 } else { 0x86dd };
            (Vec::new(), et, frame)
        }
        other => panic!("unexpected link type {other:?}"),
    }
}

/// Decodes the IP layer strictly (lengths, IPv4 header checksum).
pub fn ip(linktype: LinkType, frame: &[u8]) -> Ip {
    let (vlans, ethertype, p) = link(linktype, frame);
    match ethertype {
        0x0800 => {
            assert_eq!(p[0], 0x45, "IPv4 without options");
            let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
            assert_eq!(total, p.len(), "IPv4 total length");
            assert_eq!(ones_sum(&p[..20], 0), 0xffff, "IPv4 header checksum");
            let flags = u16::from_be_bytes([p[6], p[7]]);
            let offset = usize::from(flags & 0x1fff) * 8;
            let more = flags & 0x2000 != 0;
            Ip {
                vlans,
                src: IpAddr::V4(Ipv4Addr::new(p[12], p[13], p[14], p[15])),
                dst: IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19])),
                proto: p[9],
                ident: u32::from(u16::from_be_bytes([p[4], p[5]])),
                frag_offset: offset,
                more_fragments: more,
                fragmented: offset != 0 || more,
                dont_fragment: flags & 0x4000 != 0,
                payload: p[20..].to_vec(),
            }
        }
        0x86dd => {
            assert_eq!(p[0] >> 4, 6);
            let len = usize::from(u16::from_be_bytes([p[4], p[5]]));
            assert_eq!(len + 40, p.len(), "IPv6 payload length");
            let src: [u8; 16] = p[8..24].try_into().unwrap();
            let dst: [u8; 16] = p[24..40].try_into().unwrap();
            let mut ip = Ip {
                vlans,
                src: IpAddr::V6(Ipv6Addr::from(src)),
                dst: IpAddr::V6(Ipv6Addr::from(dst)),
                proto: p[6],
                ident: 0,
                frag_offset: 0,
                more_fragments: false,
                fragmented: false,
                dont_fragment: false,
                payload: p[40..].to_vec(),
            };
            if ip.proto == 44 {
                let f = ip.payload.clone();
                let off = u16::from_be_bytes([f[2], f[3]]);
                ip.proto = f[0];
                ip.frag_offset = usize::from(off >> 3) * 8;
                ip.more_fragments = off & 1 == 1;
                ip.ident = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
                ip.fragmented = true;
                ip.payload = f[8..].to_vec();
            }
            ip
        }
        other => panic!("unexpected EtherType {other:#x}"),
    }
}

fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut b = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            b.extend_from_slice(&s.octets());
            b.extend_from_slice(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            b.extend_from_slice(&s.octets());
            b.extend_from_slice(&d.octets());
        }
        _ => panic!("mixed families"),
    }
    b.extend_from_slice(&[0, proto]);
    b.extend_from_slice(&(len as u32).to_be_bytes()[2..]);
    if len > 0xffff {
        b.extend_from_slice(&((len >> 16) as u16).to_be_bytes());
    }
    ones_sum(&b, 0)
}

/// A UDP datagram.
#[derive(Clone, Debug)]
pub struct Udp {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// Decodes a whole (unfragmented or reassembled) UDP datagram, checking length and checksum.
pub fn udp(src: IpAddr, dst: IpAddr, d: &[u8]) -> Udp {
    let len = usize::from(u16::from_be_bytes([d[4], d[5]]));
    assert_eq!(len, d.len(), "UDP length");
    let sum = u16::from_be_bytes([d[6], d[7]]);
    assert_ne!(sum, 0, "UDP checksum present");
    assert_eq!(
        ones_sum(d, pseudo(src, dst, 17, d.len())),
        0xffff,
        "UDP checksum"
    );
    Udp {
        src_port: u16::from_be_bytes([d[0], d[1]]),
        dst_port: u16::from_be_bytes([d[2], d[3]]),
        payload: d[8..].to_vec(),
    }
}

/// A TCP segment.
#[derive(Clone, Debug)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: Vec<u8>,
}

/// Decodes a TCP segment, checking its checksum.
pub fn tcp(src: IpAddr, dst: IpAddr, d: &[u8]) -> Tcp {
    assert_eq!(
        ones_sum(d, pseudo(src, dst, 6, d.len())),
        0xffff,
        "TCP checksum"
    );
    let off = usize::from(d[12] >> 4) * 4;
    Tcp {
        src_port: u16::from_be_bytes([d[0], d[1]]),
        dst_port: u16::from_be_bytes([d[2], d[3]]),
        seq: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
        ack: u32::from_be_bytes([d[8], d[9], d[10], d[11]]),
        flags: d[13],
        payload: d[off..].to_vec(),
    }
}

/// One DNS-over-UDP frame of a capture.
#[derive(Clone, Debug)]
pub struct DnsFrame {
    pub ts: (u32, u32),
    pub ip: Ip,
    pub udp: Udp,
}

/// Reads a pcap file of unfragmented UDP frames.
pub fn read_udp_pcap(bytes: &[u8]) -> Vec<DnsFrame> {
    let mut r = PcapReader::new(bytes).unwrap();
    let linktype = r.header().linktype;
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec.orig_len as usize, rec.data.len());
        let ip = ip(linktype, &rec.data);
        assert_eq!(ip.proto, 17);
        assert!(!ip.fragmented);
        let udp = udp(ip.src, ip.dst, &ip.payload);
        out.push(DnsFrame {
            ts: (rec.ts_secs, rec.ts_frac),
            ip,
            udp,
        });
    }
    out
}
